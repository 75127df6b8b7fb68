package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// ErrNoSuchLogGroup: the CloudWatch Logs group does not exist (in this
// account and region).
var ErrNoSuchLogGroup = errors.New("no such log group")

// CWL is a read-only CloudWatch Logs client.
type CWL struct {
	Region   string
	Endpoint string
	client   *cloudwatchlogs.Client
}

// LogStream is one stream of a log group.
type LogStream struct {
	Name string
	// FirstEvent and LastEvent are the stream's event time range as
	// CloudWatch Logs reports it (LastEvent is updated lazily, so it is
	// informative only); zero when unknown.
	FirstEvent, LastEvent time.Time
}

// LogEvent is one event read with FilterLogEvents.
type LogEvent struct {
	ID            string `json:"eventId"`
	Timestamp     int64  `json:"timestamp"`     // ms since the epoch
	IngestionTime int64  `json:"ingestionTime"` // ms since the epoch
	Message       string `json:"message"`
}

// NewCWL returns a CloudWatch Logs client for opts (the region is
// --region or the configuration's; log groups are regional). Throttled and
// transient calls are retried with backoff as for S3.
func NewCWL(ctx context.Context, opts Options) (*CWL, error) {
	cfg, err := Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	c := &CWL{Region: cfg.Region, Endpoint: Redact(opts.EndpointURL)}
	c.client = cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		o.Retryer = newRetryer(opts.MaxAttempts, DefaultS3Attempts, true)
	})
	return c, nil
}

func (c *CWL) error(op, group string, err error) error {
	where := fmt.Sprintf("CloudWatch Logs %s on log group %s (region %s)", op, group, c.Region)
	switch {
	case isCode(err, "ResourceNotFoundException"):
		return fmt.Errorf("%s: %w: check the name, --region and --profile", where, ErrNoSuchLogGroup)
	case isCode(err, "AccessDeniedException") || httpStatus(err) == http.StatusForbidden:
		return fmt.Errorf("%s: %w: the credentials need logs:DescribeLogStreams and logs:FilterLogEvents on the group", where, ErrAccessDenied)
	}
	return fmt.Errorf("%s: %w", where, err)
}

// Streams lists the group's streams whose names start with prefix, in
// name order.
func (c *CWL) Streams(ctx context.Context, group, prefix string, fn func(LogStream) error) error {
	in := &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String(group)}
	if prefix != "" {
		in.LogStreamNamePrefix = aws.String(prefix)
	}
	p := cloudwatchlogs.NewDescribeLogStreamsPaginator(c.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return c.error("DescribeLogStreams", group, err)
		}
		for _, s := range out.LogStreams {
			ls := LogStream{Name: aws.ToString(s.LogStreamName)}
			if s.FirstEventTimestamp != nil {
				ls.FirstEvent = time.UnixMilli(*s.FirstEventTimestamp).UTC()
			}
			if s.LastEventTimestamp != nil {
				ls.LastEvent = time.UnixMilli(*s.LastEventTimestamp).UTC()
			}
			if err := fn(ls); err != nil {
				return err
			}
		}
	}
	return nil
}

// Events reads the events of one stream with event times in [start, end)
// (zero: unbounded), page by page with FilterLogEvents, calling fn per
// page. FilterLogEvents may return empty pages with a token before the
// search is done; every page is followed until no token is left.
func (c *CWL) Events(ctx context.Context, group, stream string, start, end time.Time, fn func([]LogEvent) error) error {
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), LogStreamNames: []string{stream}}
	if !start.IsZero() {
		in.StartTime = aws.Int64(max(start.UnixMilli(), 0))
	}
	if !end.IsZero() {
		in.EndTime = aws.Int64(end.UnixMilli())
	}
	p := cloudwatchlogs.NewFilterLogEventsPaginator(c.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return c.error("FilterLogEvents", group, err)
		}
		evs := make([]LogEvent, len(out.Events))
		for i, e := range out.Events {
			evs[i] = LogEvent{ID: aws.ToString(e.EventId), Timestamp: aws.ToInt64(e.Timestamp), IngestionTime: aws.ToInt64(e.IngestionTime), Message: aws.ToString(e.Message)}
		}
		if err := fn(evs); err != nil {
			return err
		}
	}
	return nil
}
