package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net"
	"net/url"
	"strconv"
	"time"
)

// A sender speaks HTTP/1.1 itself over one keep-alive connection, as wrk
// and h2load do: net/http's client cost the senders more CPU per delivery
// than the servers they measured, and on a two-core machine the senders'
// CPU is taken from the servers'. Requests are POSTs with a Content-Length;
// responses are read whole (Content-Length or chunked).
type sender struct {
	addr, path, host string
	conn             net.Conn
	r                *bufio.Reader
	mac              hash.Hash
	head             []byte
	sig              []byte
}

func newSender(rawURL string) (*sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	return &sender{addr: u.Host, path: u.RequestURI(), host: u.Host, mac: hmac.New(sha256.New, []byte(secret))}, nil
}

// post sends one signed delivery and returns the response status.
func (s *sender) post(id string, body []byte) (int, error) {
	if s.conn == nil {
		c, err := net.DialTimeout("tcp", s.addr, 10*time.Second)
		if err != nil {
			return 0, err
		}
		s.conn, s.r = c, bufio.NewReaderSize(c, 4096)
	}
	s.mac.Reset()
	s.mac.Write(body)
	s.sig = hex.AppendEncode(s.sig[:0], s.mac.Sum(nil))
	h := s.head[:0]
	h = append(h, "POST "...)
	h = append(h, s.path...)
	h = append(h, " HTTP/1.1\r\nHost: "...)
	h = append(h, s.host...)
	h = append(h, "\r\nUser-Agent: GitHub-Hookshot/loadgen\r\nContent-Type: application/json\r\nX-GitHub-Event: pull_request\r\nX-GitHub-Delivery: "...)
	h = append(h, id...)
	h = append(h, "\r\nX-Hub-Signature-256: sha256="...)
	h = append(h, s.sig...)
	h = append(h, "\r\nContent-Length: "...)
	h = strconv.AppendInt(h, int64(len(body)), 10)
	h = append(h, "\r\n\r\n"...)
	s.head = h
	s.conn.SetDeadline(time.Now().Add(30 * time.Second))
	bufs := net.Buffers{h, body}
	if _, err := bufs.WriteTo(s.conn); err != nil {
		s.close()
		return 0, err
	}
	status, keep, err := readResponse(s.r)
	if err != nil || !keep {
		s.close()
	}
	return status, err
}

func (s *sender) close() {
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
}

// readResponse reads one response, discarding its body, and reports
// whether the connection may be used again.
func readResponse(r *bufio.Reader) (status int, keep bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	// "HTTP/1.1 202 Accepted"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, fmt.Errorf("malformed status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("malformed status line %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return status, false, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return status, false, fmt.Errorf("malformed header %q", line)
		}
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return status, false, fmt.Errorf("malformed Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(value, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			keep = !bytes.EqualFold(value, []byte("close"))
		}
	}
	switch {
	case chunked:
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return status, false, err
			}
			size, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(line, []byte(";"), 2)[0])), 16, 64)
			if err != nil {
				return status, false, fmt.Errorf("malformed chunk size %q", line)
			}
			if _, err := r.Discard(int(size) + 2); err != nil { // the chunk and its CRLF
				return status, false, err
			}
			if size == 0 {
				return status, keep, nil // no trailers are sent to us
			}
		}
	case length >= 0:
		_, err := r.Discard(length)
		return status, keep, err
	default:
		return status, false, errors.New("response without a length")
	}
}
