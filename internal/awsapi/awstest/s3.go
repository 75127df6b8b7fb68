// Package awstest starts real AWS-protocol servers on loopback for tests: an
// in-process S3 server (gofakes3) with fault injection and a record of the
// requests it served, and a CloudWatch Logs (JSON 1.1) + EC2 (query
// protocol) server. Tests drive flowir's AWS code through the SDK against
// them, never through a mocked SDK interface.
//
// It is imported by tests only.
package awstest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Env isolates a test from the machine's AWS configuration and gives it
// fake static credentials (which the local servers accept).
func Env(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFLOWIRTEST000000")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "flowir-test-secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_DEFAULT_PROFILE", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", dir+"/config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
}

// Request is one HTTP request an S3Server received.
type Request struct {
	Method string
	Bucket string
	Key    string // "" for bucket-level requests
	Query  url.Values
	Status int // the status the server answered
}

// Fault decides whether to fail a request: it returns the HTTP status and
// S3 error code to answer with, or status 0 to let the request through.
// cut > 0 instead lets a GET through but breaks the connection after cut
// bytes of the body.
type Fault func(r Request, attempt int) (status int, code string, cut int)

// S3Server is an in-process S3 server on loopback (gofakes3, path-style).
type S3Server struct {
	URL     string
	Backend *s3mem.Backend
	// IgnoreRange makes the server answer ranged GETs with the whole
	// object, as some S3-compatible servers do.
	IgnoreRange bool

	mu       sync.Mutex
	requests []Request
	attempts map[string]int // per method+path
	fault    Fault
}

// NewS3Server starts a server; it is closed when the test ends.
func NewS3Server(t testing.TB) *S3Server {
	t.Helper()
	s := &S3Server{Backend: s3mem.New(), attempts: map[string]int{}}
	fake := gofakes3.New(s.Backend)
	h := fake.Server()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{Method: r.Method, Query: r.URL.Query()}
		if s.IgnoreRange {
			r.Header.Del("Range")
		}
		p := strings.TrimPrefix(r.URL.Path, "/")
		req.Bucket, req.Key, _ = strings.Cut(p, "/")
		s.mu.Lock()
		id := r.Method + " " + r.URL.Path
		s.attempts[id]++
		attempt := s.attempts[id]
		f := s.fault
		s.mu.Unlock()
		if f != nil {
			status, code, cut := f(req, attempt)
			if status != 0 {
				req.Status = status
				s.record(req)
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(status)
				if r.Method != http.MethodHead {
					w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>` + code + `</Code><Message>injected by the test</Message><RequestId>test</RequestId></Error>`))
				}
				return
			}
			if cut > 0 && r.Method == http.MethodGet && req.Key != "" {
				rec := &cutWriter{ResponseWriter: w, left: cut}
				req.Status = http.StatusOK
				s.record(req)
				h.ServeHTTP(rec, r)
				return
			}
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		req.Status = sw.status
		s.record(req)
	}))
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

func (s *S3Server) record(r Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r)
	s.mu.Unlock()
}

// SetFault installs (or with nil removes) a fault injector.
func (s *S3Server) SetFault(f Fault) {
	s.mu.Lock()
	s.fault = f
	s.attempts = map[string]int{}
	s.mu.Unlock()
}

// CreateBucket makes a bucket.
func (s *S3Server) CreateBucket(t testing.TB, name string) {
	t.Helper()
	if err := s.Backend.CreateBucket(name); err != nil {
		t.Fatal(err)
	}
}

// Put stores an object.
func (s *S3Server) Put(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	if _, err := s.Backend.PutObject(bucket, key, nil, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
}

// Delete removes an object.
func (s *S3Server) Delete(t testing.TB, bucket, key string) {
	t.Helper()
	if _, err := s.Backend.DeleteObject(bucket, key); err != nil {
		t.Fatal(err)
	}
}

// Requests returns the requests served so far and forgets them.
func (s *S3Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.requests
	s.requests = nil
	return r
}

// Gets returns the keys of the successful GET object requests among rs.
func Gets(rs []Request) []string {
	var out []string
	for _, r := range rs {
		if r.Method == http.MethodGet && r.Key != "" && r.Status < 300 {
			out = append(out, r.Key)
		}
	}
	return out
}

// Lists returns the prefixes of the listing requests among rs, with "|/"
// appended when the listing used the "/" delimiter.
func Lists(rs []Request) []string {
	var out []string
	for _, r := range rs {
		if r.Method == http.MethodGet && r.Key == "" && r.Query.Has("list-type") {
			p := r.Query.Get("prefix")
			if r.Query.Get("delimiter") != "" {
				p += "|" + r.Query.Get("delimiter")
			}
			out = append(out, p)
		}
	}
	return out
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// cutWriter passes the first left bytes of a body through, then aborts the
// handler, which makes net/http drop the connection mid-body: what a reset
// connection looks like to the client.
type cutWriter struct {
	http.ResponseWriter
	left int
}

func (w *cutWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n, _ := w.ResponseWriter.Write(p[:w.left])
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		w.left = 0
		_ = n
		panic(http.ErrAbortHandler)
	}
	w.left -= len(p)
	return w.ResponseWriter.Write(p)
}
