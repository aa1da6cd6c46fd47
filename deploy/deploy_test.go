// Package deploy holds the deployment recipes (systemd unit, Dockerfile,
// compose file); its test proves the Dockerfile's binary runs on its own.
package deploy

import (
	"context"
	"debug/elf"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStaticBinaryServesFromAnEmptyRoot builds badgebot the way the
// Dockerfile does (build-static.sh) and runs it chrooted in a directory
// holding only what the image holds: the binary, the CA certificates and
// an empty /data. It must start, create its database and keys, and answer
// /healthz and /readyz. It needs root (chroot) and a few minutes of
// building, so it runs when BADGEBOT_DEPLOY_TEST=1 (CI sets it).
func TestStaticBinaryServesFromAnEmptyRoot(t *testing.T) {
	if os.Getenv("BADGEBOT_DEPLOY_TEST") != "1" {
		t.Skip("set BADGEBOT_DEPLOY_TEST=1 to build the static binary and run it in an empty root")
	}
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	root := t.TempDir()
	bin := filepath.Join(root, "badgebot")
	build := exec.Command("sh", "deploy/build-static.sh", bin)
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build-static.sh: %v\n%s", err, out)
	}

	// Static: no program interpreter, no shared libraries.
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the binary asks for a dynamic loader")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
	f.Close()

	// The image's files, and nothing else.
	if err := os.MkdirAll(filepath.Join(root, "etc/ssl/certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if certs, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		os.WriteFile(filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"), certs, 0o644)
	}
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	var files []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, strings.TrimPrefix(p, root))
		}
		return nil
	})
	if len(files) > 2 {
		t.Fatalf("the root holds more than the image: %v", files)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, "/badgebot", "serve")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: 65532, Gid: 65532}}
	os.Chown(filepath.Join(root, "data"), 65532, 65532)
	// As the Dockerfile sets them.
	cmd.Env = []string{
		"BADGEBOT_SERVER_LISTEN=" + addr,
		"BADGEBOT_SERVER_PUBLIC_URL=http://" + addr,
		"BADGEBOT_STORAGE_PATH=/data/badgebot.db",
		"BADGEBOT_ISSUER_KEY_DIR=/data/keys",
		"BADGEBOT_DIGEST_TIMEZONE=Europe/Berlin", // from the embedded zone database
	}
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	// The working directory must be inside the new root: "/" there.
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	}()

	client := &http.Client{Timeout: 5 * time.Second}
	var body string
	giveUp := time.After(time.Minute) // a bound on a hang, not a speed check
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				body = string(b)
				break
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("badgebot exited: %v\n%s", err, logs.String())
		case <-giveUp:
			t.Fatalf("badgebot did not get ready:\n%s", logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if body != "ready\n" {
		t.Errorf("/readyz: %q", body)
	}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	for _, want := range []string{"data/badgebot.db", "data/keys"} {
		if _, err := os.Stat(filepath.Join(root, want)); err != nil {
			t.Errorf("no %s in the root: %v", want, err)
		}
	}
}
