package source

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/awsapi"
)

// CloudWatch Logs: flow logs delivered to a log group have one stream per
// network interface (reference §3.2), and each event's message is one
// record line without a header. flowir reads a group stream by stream, each
// stream one source (cwl://GROUP/STREAM in the case's sources), so that a
// stream is loaded atomically, as a file is.

// IsCWLURL reports whether an ingest argument names a CloudWatch Logs group.
func IsCWLURL(s string) bool { return len(s) >= 6 && strings.EqualFold(s[:6], "cwl://") }

// ParseCWLURL returns the log group of cwl://LOG_GROUP. Group names may hold
// slashes (/aws/vpc/flow-logs), so everything after cwl:// is the group.
func ParseCWLURL(s string) (string, error) {
	if !IsCWLURL(s) {
		return "", fmt.Errorf("%q is not a cwl:// log group", s)
	}
	g := s[6:]
	if g == "" {
		return "", fmt.Errorf("%q: no log group name; write cwl://LOG_GROUP", s)
	}
	for _, c := range g {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-/.#", c)) || len(g) > 512 {
			return "", fmt.Errorf("%q: %q is not a log group name (letters, digits, _ - / . #)", s, g)
		}
	}
	return g, nil
}

// CWLStream is one stream selected for ingest.
type CWLStream struct {
	Group string
	awsapi.LogStream
}

// URL is the stream's path in the case's sources: cwl://GROUP/STREAM.
func (s CWLStream) URL() string { return "cwl://" + s.Group + "/" + s.Name }

// ListCWLStreams lists the streams of group whose names start with prefix.
// A stream whose first event is after the end of the window (widened as
// ListingWindow widens it) cannot hold records of it and is passed over.
func ListCWLStreams(ctx context.Context, c *awsapi.CWL, group, prefix string, sel Selection, fn func(CWLStream) error) (listed, pruned int, err error) {
	_, hi := ListingWindow(sel.Since, sel.Until)
	err = c.Streams(ctx, group, prefix, func(s awsapi.LogStream) error {
		listed++
		if !hi.IsZero() && !s.FirstEvent.IsZero() && !s.FirstEvent.Before(hi) {
			pruned++
			return nil
		}
		return fn(CWLStream{Group: group, LogStream: s})
	})
	return listed, pruned, err
}

// FetchCWL reads a stream's events into a Spool, one JSON object per line
// ({"eventId", "timestamp", "ingestionTime", "message"}, which
// decode.SniffJSON recognises as message-wrapped lines): the message text
// exactly, with the event's identity as evidence. The events asked for are
// those whose event time lies in the window [since, until) widened as
// ListingWindow widens listings, since an event's time is not its record's
// start or end; the records themselves are then kept or left out by their
// own start and end.
func FetchCWL(ctx context.Context, c *awsapi.CWL, s CWLStream, since, until time.Time, sp Spooler) (*Spool, error) {
	lo, hi := ListingWindow(since, until)
	w := sp.Create(s.URL(), -1)
	err := c.Events(ctx, s.Group, s.Name, lo, hi, func(evs []awsapi.LogEvent) error {
		for i := range evs {
			b, err := json.Marshal(&evs[i])
			if err != nil {
				return err
			}
			if _, err := w.Write(append(b, '\n')); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.Abort()
		return nil, fmt.Errorf("%s: %w", s.URL(), err)
	}
	return w.Finish()
}
