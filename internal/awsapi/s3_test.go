package awsapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/awsapi"
	"github.com/flowir/flowir/internal/awsapi/awstest"
)

func init() { awsapi.RetryBase = time.Millisecond }

func newBucket(t *testing.T) (*awstest.S3Server, *awsapi.S3) {
	t.Helper()
	awstest.Env(t)
	srv := awstest.NewS3Server(t)
	srv.CreateBucket(t, "logs")
	c, err := awsapi.NewS3(context.Background(), awsapi.Options{EndpointURL: srv.URL}, "logs")
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

func TestS3ListAndGet(t *testing.T) {
	srv, c := newBucket(t)
	for _, k := range []string{"a/1.log", "a/2.log", "a/b/3.log", "c.log"} {
		srv.Put(t, "logs", k, []byte("content of "+k))
	}
	var keys, prefixes []string
	err := c.List(context.Background(), "a/", "/", func(p awsapi.S3Page) error {
		for _, o := range p.Objects {
			keys = append(keys, o.Key)
			if o.ETag == "" || strings.Contains(o.ETag, `"`) || o.Size != int64(len("content of "+o.Key)) {
				t.Errorf("object %+v: want an unquoted ETag and the size", o)
			}
		}
		prefixes = append(prefixes, p.Prefixes...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"a/1.log", "a/2.log"}) || !slices.Equal(prefixes, []string{"a/b/"}) {
		t.Fatalf("keys %v prefixes %v", keys, prefixes)
	}
	var etag string
	c.List(context.Background(), "a/1", "", func(p awsapi.S3Page) error { etag = p.Objects[0].ETag; return nil })
	body, err := c.Get(context.Background(), "a/1.log", etag, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "tent of a/1.log" {
		t.Fatalf("ranged read = %q", b)
	}
	srv.IgnoreRange = true
	body, err = c.Get(context.Background(), "a/1.log", etag, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(body)
	body.Close()
	if string(b) != "tent of a/1.log" {
		t.Fatalf("ranged read from a server that ignores ranges = %q", b)
	}
}

func TestS3Errors(t *testing.T) {
	srv, c := newBucket(t)
	srv.Put(t, "logs", "x.log", []byte("one"))
	ctx := context.Background()

	_, err := awsapi.NewS3(ctx, awsapi.Options{EndpointURL: srv.URL}, "nope")
	if !errors.Is(err, awsapi.ErrNoSuchBucket) || !strings.Contains(err.Error(), "check the bucket name") {
		t.Errorf("missing bucket: %v", err)
	}

	srv.SetFault(func(r awstest.Request, _ int) (int, string, int) {
		if r.Method == http.MethodHead || r.Key != "" {
			return http.StatusForbidden, "AccessDenied", 0
		}
		return 0, "", 0
	})
	_, err = awsapi.NewS3(ctx, awsapi.Options{EndpointURL: srv.URL}, "logs")
	if !errors.Is(err, awsapi.ErrAccessDenied) || !strings.Contains(err.Error(), "s3:ListBucket") {
		t.Errorf("denied bucket: %v", err)
	}
	_, err = c.Get(ctx, "x.log", "", 0)
	if !errors.Is(err, awsapi.ErrAccessDenied) || !strings.Contains(err.Error(), "s3:GetObject") {
		t.Errorf("denied object: %v", err)
	}
	// A server without HeadBucket (405 or 501) at --endpoint-url is read
	// all the same; any other failure of HeadBucket stops there.
	for _, tt := range []struct {
		status int
		ok     bool
	}{{http.StatusMethodNotAllowed, true}, {http.StatusNotImplemented, true}, {http.StatusBadRequest, false}} {
		srv.SetFault(func(r awstest.Request, _ int) (int, string, int) {
			if r.Method == http.MethodHead && r.Key == "" {
				return tt.status, "NotImplemented", 0
			}
			return 0, "", 0
		})
		hc, err := awsapi.NewS3(ctx, awsapi.Options{EndpointURL: srv.URL}, "logs")
		if tt.ok {
			n := 0
			if err == nil {
				err = hc.List(ctx, "", "", func(p awsapi.S3Page) error { n += len(p.Objects); return nil })
			}
			if err != nil || n != 1 {
				t.Errorf("HeadBucket answered %d: %v, %d objects listed", tt.status, err, n)
			}
		} else if err == nil || !strings.Contains(err.Error(), "s3://logs at ") {
			t.Errorf("HeadBucket answered %d: %v, want an error naming the bucket", tt.status, err)
		}
	}
	srv.SetFault(nil)

	_, err = c.Get(ctx, "gone.log", "", 0)
	if !errors.Is(err, awsapi.ErrNoSuchKey) || !strings.Contains(err.Error(), "between listing and reading") {
		t.Errorf("deleted object: %v", err)
	}
	_, err = c.Get(ctx, "x.log", "0123456789abcdef0123456789abcdef", 0)
	if !errors.Is(err, awsapi.ErrObjectChanged) {
		t.Errorf("changed object: %v", err)
	}
}

// TestS3Retries injects 503 SlowDown (and a 500) in front of every request
// and checks that listing and reading still succeed, after the expected
// number of attempts.
func TestS3Retries(t *testing.T) {
	srv, c := newBucket(t)
	srv.Put(t, "logs", "k.log", []byte("payload"))
	srv.SetFault(func(r awstest.Request, attempt int) (int, string, int) {
		switch attempt {
		case 1, 2:
			return http.StatusServiceUnavailable, "SlowDown", 0
		case 3:
			return http.StatusInternalServerError, "InternalError", 0
		}
		return 0, "", 0
	})
	var n int
	if err := c.List(context.Background(), "", "", func(p awsapi.S3Page) error { n += len(p.Objects); return nil }); err != nil || n != 1 {
		t.Fatalf("list: %d objects, %v", n, err)
	}
	body, err := c.Get(context.Background(), "k.log", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "payload" {
		t.Fatalf("got %q", b)
	}
	reqs := srv.Requests()
	var gets, failed int
	for _, r := range reqs {
		if r.Key == "k.log" {
			gets++
			if r.Status >= 500 {
				failed++
			}
		}
	}
	if gets != 4 || failed != 3 {
		t.Fatalf("GET attempts = %d (%d failed), want 4 (3 failed)", gets, failed)
	}

	// Throttled beyond the attempt limit: a clear error, not a hang.
	srv.SetFault(func(r awstest.Request, attempt int) (int, string, int) {
		if r.Key != "" {
			return http.StatusServiceUnavailable, "SlowDown", 0
		}
		return 0, "", 0
	})
	if _, err := c.Get(context.Background(), "k.log", "", 0); err == nil || !strings.Contains(err.Error(), "SlowDown") {
		t.Fatalf("persistent throttling: %v", err)
	}
}

func TestS3Anonymous(t *testing.T) {
	awstest.Env(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	srv := awstest.NewS3Server(t)
	srv.CreateBucket(t, "logs")
	c, err := awsapi.NewS3(context.Background(), awsapi.Options{EndpointURL: srv.URL}, "logs")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Anonymous {
		t.Fatal("want unsigned requests without credentials")
	}
}
