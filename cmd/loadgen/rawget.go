package main

import (
	"bufio"
	"net"
	"net/url"
	"time"
)

// A getter is the GET side of sender: it writes one fixed request, built
// once per path, on one keep-alive connection and reads the response
// whole, so that a read costs the client as little CPU as it can.
type getter struct {
	addr string
	conn net.Conn
	r    *bufio.Reader
	reqs [][]byte // one whole request per path
}

// newGetter prepares GETs of each path under base (http://host:port) with
// the given header lines ("Name: value").
func newGetter(base string, paths []string, headers []string) (*getter, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	g := &getter{addr: u.Host}
	for _, p := range paths {
		req := "GET " + p + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUser-Agent: loadgen\r\n"
		for _, h := range headers {
			req += h + "\r\n"
		}
		g.reqs = append(g.reqs, []byte(req+"\r\n"))
	}
	return g, nil
}

// get sends request i (of the paths given) and returns the response status.
func (g *getter) get(i int) (int, error) {
	if g.conn == nil {
		c, err := net.DialTimeout("tcp", g.addr, 10*time.Second)
		if err != nil {
			return 0, err
		}
		g.conn, g.r = c, bufio.NewReaderSize(c, 64<<10)
	}
	g.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := g.conn.Write(g.reqs[i%len(g.reqs)]); err != nil {
		g.close()
		return 0, err
	}
	status, keep, err := readResponse(g.r)
	if err != nil || !keep {
		g.close()
	}
	return status, err
}

func (g *getter) close() {
	if g.conn != nil {
		g.conn.Close()
		g.conn = nil
	}
}
