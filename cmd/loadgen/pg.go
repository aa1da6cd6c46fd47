package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// pgOrder is the order a round loads the targets in. With replicas on
// PostgreSQL (-pg), the SQLite instance and the replicas swap places every
// round, so that neither is always loaded first after the reference
// handlers or right after the other's processing.
func pgOrder[T comparable](targets []T, pg, sqlite T, round int) []T {
	var zero T
	if pg == zero || sqlite == zero || round%2 == 0 {
		return targets
	}
	out := make([]T, len(targets))
	for i, t := range targets {
		switch t {
		case pg:
			out[i] = sqlite
		case sqlite:
			out[i] = pg
		default:
			out[i] = t
		}
	}
	return out
}

// pgServerPIDs lists the PostgreSQL server processes that work for the
// database at url: the backends connected to it (the replicas' pools) and
// the server's WAL writer, checkpointer and background writer, through
// psql (loadgen links no PostgreSQL driver). Nil when psql is missing or
// the server is not on this machine's process table.
func pgServerPIDs(url string) []int {
	out, err := exec.Command("psql", url, "-Atc", `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`).Output()
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// printPGCPU prints the PostgreSQL server's CPU per acknowledged
// delivery during one load.
func printPGCPU(cpu time.Duration, accepted int) {
	fmt.Printf("  %-22s %.0f µs of PostgreSQL server CPU per delivery\n", "", float64(cpu.Microseconds())/float64(max(accepted, 1)))
}
