// Package awsapi is flowir's only door to AWS: it is the one package that
// imports the AWS SDK for Go v2. Commands that talk to AWS (S3 and CloudWatch
// Logs ingest, Athena, inventory and set-up) go through the small clients
// here, configured the standard way: the SDK's credential chain, --profile,
// --region, and --endpoint-url for S3-compatible stores and the local
// protocol servers the tests start. Credentials are never printed or logged.
package awsapi

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// Options select the account, region and endpoint to talk to.
type Options struct {
	Profile     string // shared config profile (--profile); "" for the default chain
	Region      string // --region; "" for the chain's (AWS_REGION, the profile)
	EndpointURL string // --endpoint-url: an S3-compatible store or a local test server
	// MaxAttempts bounds retries of throttled and transient failures (the
	// SDK's standard retryer with exponential backoff); 0 keeps its default.
	MaxAttempts int
}

// Load resolves the SDK configuration for opts.
func Load(ctx context.Context, opts Options) (aws.Config, error) {
	// The SDK's own log lines (such as its IMDS fallback warning when no
	// credentials are configured) are noise on a command line: failures come
	// back as errors, which the commands report.
	lo := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if opts.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		lo = append(lo, config.WithRegion(opts.Region))
	}
	if opts.MaxAttempts > 0 {
		lo = append(lo, config.WithRetryMaxAttempts(opts.MaxAttempts))
	}
	if opts.EndpointURL != "" {
		lo = append(lo, config.WithBaseEndpoint(opts.EndpointURL))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		if opts.Profile != "" {
			return aws.Config{}, fmt.Errorf("load AWS configuration for profile %q: %w", opts.Profile, err)
		}
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		// The SDK needs a region to sign requests; S3 listing works from any.
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// newRetryer is the retry policy of every client: the SDK's standard retryer
// with full-jitter backoff up to MaxS3Backoff, for attempts tries (def when
// the user gave none). noQuota drops the client-side retry quota, which under
// sustained throttling runs dry and fails requests that a patient retry would
// complete: bulk readers (S3, CloudWatch Logs) want that; the control-plane
// clients keep the quota.
func newRetryer(attempts, def int, noQuota bool) *retry.Standard {
	if attempts <= 0 {
		attempts = def
	}
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = attempts
		so.MaxBackoff = MaxS3Backoff
		so.Backoff = jitterBackoff{}
		if noQuota {
			so.RateLimiter = ratelimit.None
		}
	})
}
