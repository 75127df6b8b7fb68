package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Errors of S3 reads, wrapped with what was being read and what to do; test
// them with errors.Is.
var (
	// ErrNoSuchBucket: the bucket does not exist (at this endpoint).
	ErrNoSuchBucket = errors.New("no such bucket")
	// ErrNoSuchKey: the object is not (or no longer) in the bucket.
	ErrNoSuchKey = errors.New("no such object")
	// ErrAccessDenied: the credentials in use may not do this.
	ErrAccessDenied = errors.New("access denied")
	// ErrObjectChanged: the object was replaced since it was listed (its
	// ETag differs), so what would be read is not what was listed.
	ErrObjectChanged = errors.New("object changed since it was listed")
)

// DefaultS3Attempts is how many times a throttled (503 SlowDown) or
// transient request is tried before giving up, with exponential backoff and
// jitter between attempts (up to MaxS3Backoff). Many more than the SDK's
// default of 3: a bulk download from a bucket that throttles should slow
// down and finish, not fail objects.
const (
	DefaultS3Attempts = 10
	MaxS3Backoff      = 20 * time.Second
)

// RetryBase is the first backoff delay; each further attempt doubles it (up
// to MaxS3Backoff) and the delay used is a random fraction of that ("full
// jitter"), so that parallel downloads do not retry in lockstep. Tests
// shorten it.
var RetryBase = time.Second

// jitterBackoff is the full-jitter exponential backoff described at RetryBase.
type jitterBackoff struct{}

func (jitterBackoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	d := RetryBase
	for i := 1; i < attempt && d < MaxS3Backoff; i++ {
		d *= 2
	}
	d = min(d, MaxS3Backoff)
	return time.Duration(rand.Int64N(int64(d) + 1)), nil
}

// S3 is a read-only client for one bucket, in the bucket's own region.
type S3 struct {
	Bucket   string
	Region   string
	Endpoint string // --endpoint-url, "" for AWS; redacted (it is for messages)
	// Anonymous is true when no credentials were found and requests go
	// unsigned, which S3-compatible test servers accept (see NewS3).
	Anonymous bool
	client    *s3.Client
}

// S3Object is one listed object.
type S3Object struct {
	Key          string
	ETag         string // without the quotes S3 puts around it
	Size         int64
	LastModified time.Time
}

// S3Page is one page of a listing: objects, and with a delimiter the
// "folders" (common prefixes) below the listed prefix.
type S3Page struct {
	Objects  []S3Object
	Prefixes []string
}

// NewS3 returns a client for bucket. The standard credential chain,
// opts.Profile and opts.EndpointURL are used as configured (path-style
// addressing whenever an endpoint is given, as S3-compatible stores expect).
// The bucket's region is found with HeadBucket, so --region can be left to
// name the regions of the logs rather than of the bucket: a central logging
// bucket is often in another region.
//
// With an --endpoint-url and no credentials anywhere in the chain, requests
// are sent unsigned (anonymous), which local S3-compatible servers accept;
// AWS itself would answer access denied, with the message NewS3 gives for it.
func NewS3(ctx context.Context, opts Options, bucket string) (*S3, error) {
	cfg, err := Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	c := &S3{Bucket: bucket, Endpoint: Redact(opts.EndpointURL)}
	if opts.EndpointURL != "" {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, cerr := cfg.Credentials.Retrieve(rctx)
		cancel()
		if cerr != nil {
			cfg.Credentials = aws.AnonymousCredentials{}
			c.Anonymous = true
		}
	}
	build := func(region string) *s3.Client {
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.Region = region
			o.UsePathStyle = opts.EndpointURL != ""
			// S3-compatible stores (and ranged GETs) send no checksums;
			// the SDK would log that for every object.
			o.DisableLogOutputChecksumValidationSkipped = true
			o.Retryer = newRetryer(opts.MaxAttempts, DefaultS3Attempts, true)
		})
	}
	c.Region = cfg.Region
	c.client = build(cfg.Region)
	// A wrong endpoint or bucket should say so quickly: few attempts here.
	quick := func(o *s3.Options) { o.RetryMaxAttempts = 3 }
	out, err := c.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}, quick)
	if err != nil {
		// A bucket in another region answers 301 with its region in a
		// header; ask again there.
		if r := responseHeader(err, "X-Amz-Bucket-Region"); r != "" && r != c.Region && opts.EndpointURL == "" {
			c.Region = r
			c.client = build(r)
			out, err = c.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}, quick)
		}
		if err != nil {
			switch st := httpStatus(err); {
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case opts.EndpointURL != "" && (st == http.StatusMethodNotAllowed || st == http.StatusNotImplemented):
				// Some S3-compatible servers do not implement
				// HeadBucket; the listing will say whether the bucket
				// can be read.
				return c, nil
			}
			return nil, c.bucketError(err, opts)
		}
	}
	if out.BucketRegion != nil && *out.BucketRegion != "" && *out.BucketRegion != c.Region && opts.EndpointURL == "" {
		c.Region = *out.BucketRegion
		c.client = build(c.Region)
	}
	return c, nil
}

// where names the endpoint in messages.
func (c *S3) where() string {
	if c.Endpoint != "" {
		return " at " + c.Endpoint
	}
	return ""
}

func (c *S3) bucketError(err error, opts Options) error {
	switch httpStatus(err) {
	case http.StatusNotFound:
		return fmt.Errorf("s3://%s%s: %w: check the bucket name (and --endpoint-url); nothing was read", c.Bucket, c.where(), ErrNoSuchBucket)
	case http.StatusForbidden, http.StatusUnauthorized:
		return fmt.Errorf("s3://%s%s: %w: %s need s3:ListBucket on the bucket and s3:GetObject on its objects; nothing was read", c.Bucket, c.where(), ErrAccessDenied, credsName(opts, c.Anonymous))
	}
	return fmt.Errorf("s3://%s%s: %w", c.Bucket, c.where(), err)
}

// credsName says whose credentials were used, for access-denied messages.
func credsName(opts Options, anonymous bool) string {
	switch {
	case anonymous:
		return "no AWS credentials were found, so requests were unsigned; set credentials (AWS_PROFILE, --profile, environment variables), which"
	case opts.Profile != "":
		return fmt.Sprintf("the credentials of profile %q", opts.Profile)
	}
	return "the credentials of the default chain (environment, shared config, instance role)"
}

// List lists the keys under prefix in key order, calling fn once per page.
// With a delimiter ("/"), keys below the next delimiter are rolled up into
// Prefixes, as S3 does for folders.
func (c *S3) List(ctx context.Context, prefix, delimiter string, fn func(S3Page) error) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(c.Bucket), Prefix: aws.String(prefix)}
	if delimiter != "" {
		in.Delimiter = aws.String(delimiter)
	}
	p := s3.NewListObjectsV2Paginator(c.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return c.listError(ctx, prefix, err)
		}
		var page S3Page
		for _, o := range out.Contents {
			obj := S3Object{Key: aws.ToString(o.Key), ETag: trimETag(aws.ToString(o.ETag)), Size: aws.ToInt64(o.Size)}
			if o.LastModified != nil {
				obj.LastModified = o.LastModified.UTC()
			}
			page.Objects = append(page.Objects, obj)
		}
		for _, cp := range out.CommonPrefixes {
			page.Prefixes = append(page.Prefixes, aws.ToString(cp.Prefix))
		}
		if err := fn(page); err != nil {
			return err
		}
	}
	return nil
}

func (c *S3) listError(ctx context.Context, prefix string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	where := fmt.Sprintf("list s3://%s/%s%s", c.Bucket, prefix, c.where())
	switch {
	case isCode(err, "NoSuchBucket") || httpStatus(err) == http.StatusNotFound:
		return fmt.Errorf("%s: %w: the bucket disappeared while it was being read; nothing more was listed", where, ErrNoSuchBucket)
	case isCode(err, "AccessDenied") || httpStatus(err) == http.StatusForbidden:
		return fmt.Errorf("%s: %w: the credentials need s3:ListBucket on the bucket (a bucket policy may restrict prefixes)", where, ErrAccessDenied)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// Get opens an object for reading from byte offset on. When etag is given,
// the object must still have it: the answer's ETag is checked, so that an
// object replaced since it was listed is never read as the listed one
// (ErrObjectChanged). (If-Match is not sent: S3-compatible servers differ
// in how they compare quoted ETags, and a wrong 412 would fail every read.)
// A server that ignores the byte range answers with the whole object; the
// bytes before offset are then skipped here. A missing
// object gives ErrNoSuchKey, a forbidden one ErrAccessDenied. Throttling and
// transient failures are retried with backoff before an error is returned;
// a failure while the body is being read is the caller's to resume from
// the offset reached.
func (c *S3) Get(ctx context.Context, key, etag string, offset int64) (io.ReadCloser, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(key)}
	if offset > 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
	}
	out, err := c.client.GetObject(ctx, in)
	if err != nil {
		what := fmt.Sprintf("s3://%s/%s", c.Bucket, key)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case isCode(err, "NoSuchKey") || httpStatus(err) == http.StatusNotFound:
			return nil, fmt.Errorf("%s: %w: it was listed but is gone now (deleted or moved between listing and reading)", what, ErrNoSuchKey)
		case isCode(err, "AccessDenied") || httpStatus(err) == http.StatusForbidden:
			return nil, fmt.Errorf("%s: %w: the credentials need s3:GetObject on it (and kms:Decrypt if the bucket uses a KMS key)", what, ErrAccessDenied)
		case isCode(err, "InvalidObjectState"):
			return nil, fmt.Errorf("%s: the object is archived (Glacier or Deep Archive): restore it first, then ingest again: %w", what, err)
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if got := trimETag(aws.ToString(out.ETag)); etag != "" && got != "" && got != etag {
		out.Body.Close()
		return nil, fmt.Errorf("s3://%s/%s: %w (listed with ETag %s, now %s): run the ingest again to read the new version", c.Bucket, key, ErrObjectChanged, etag, got)
	}
	if offset > 0 && aws.ToString(out.ContentRange) == "" {
		if _, err := io.CopyN(io.Discard, out.Body, offset); err != nil {
			out.Body.Close()
			return nil, fmt.Errorf("s3://%s/%s: skip to byte %d: %w", c.Bucket, key, offset, err)
		}
	}
	return out.Body, nil
}

// trimETag drops the double quotes S3 puts around ETags.
func trimETag(s string) string { return strings.Trim(s, `"`) }

// httpStatus returns the HTTP status of an SDK error, 0 if it has none.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}

// responseHeader returns a header of the HTTP response behind an SDK error.
func responseHeader(err error, name string) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(name)
	}
	return ""
}

// isCode reports whether err is an AWS API error with the given code.
func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
