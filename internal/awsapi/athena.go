package awsapi

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"
)

// Athena runs SQL on Amazon Athena: StartQueryExecution, GetQueryExecution
// polled with backoff, GetQueryResults paged, and StopQueryExecution when
// the caller gives up (Ctrl-C).
type Athena struct {
	c *athena.Client
}

// NewAthena returns an Athena client for opts (profile, Region, endpoint).
func NewAthena(ctx context.Context, opts Options) (*Athena, error) {
	cfg, err := Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &Athena{c: athena.NewFromConfig(cfg)}, nil
}

// AthenaQuery is one statement to run.
type AthenaQuery struct {
	SQL string
	// Parameters are the ExecutionParameters, one per "?" in SQL, as
	// Athena takes them: SQL literals ('10.0.0.5', 42).
	Parameters     []string
	WorkGroup      string // "" = primary
	Database       string
	Catalog        string // "" = AwsDataCatalog
	OutputLocation string // s3://...; "" = the workgroup's
}

// AthenaColumn is a result column: its name and Athena type.
type AthenaColumn struct {
	Name string
	Type string // varchar, bigint, timestamp(3) with time zone, ...
}

// AthenaResult is what a query did and returned.
type AthenaResult struct {
	QueryID       string
	State         string // SUCCEEDED, FAILED, CANCELLED
	Reason        string // Athena's StateChangeReason / error message, for FAILED and CANCELLED
	StatementType string // DML, DDL, UTILITY
	Columns       []AthenaColumn
	Rows          [][]*string // nil is SQL NULL
	ScannedBytes  int64
	EngineTime    time.Duration
	ResultsURL    string // where Athena wrote the result file
}

// Poll sets the backoff of GetQueryExecution: the first wait, growing by
// half each time up to Max. Zero values take the defaults (250 ms, 5 s).
type Poll struct {
	Initial, Max time.Duration
}

// Errors of a query that ran but did not succeed; the result carries the
// reason and what was scanned (a cancelled query is billed for it).
var (
	ErrQueryFailed    = errors.New("Athena query failed")
	ErrQueryCancelled = errors.New("Athena query cancelled")
)

// Run starts the query, waits for it, and reads all its rows. started, if
// not nil, is called with the query id as soon as Athena accepts the query.
// When ctx is cancelled while the query runs, Run sends StopQueryExecution
// (on a context of its own, so the stop is not cancelled too), reads the
// final statistics and returns ErrQueryCancelled.
func (a *Athena) Run(ctx context.Context, q AthenaQuery, p Poll, started func(id string)) (*AthenaResult, error) {
	in := &athena.StartQueryExecutionInput{QueryString: aws.String(q.SQL)}
	if len(q.Parameters) > 0 {
		in.ExecutionParameters = q.Parameters
	}
	if q.WorkGroup != "" {
		in.WorkGroup = aws.String(q.WorkGroup)
	}
	if q.Database != "" || q.Catalog != "" {
		in.QueryExecutionContext = &types.QueryExecutionContext{}
		if q.Database != "" {
			in.QueryExecutionContext.Database = aws.String(q.Database)
		}
		if q.Catalog != "" {
			in.QueryExecutionContext.Catalog = aws.String(q.Catalog)
		}
	}
	if q.OutputLocation != "" {
		in.ResultConfiguration = &types.ResultConfiguration{OutputLocation: aws.String(q.OutputLocation)}
	}
	out, err := a.c.StartQueryExecution(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("Athena StartQueryExecution: %w", err)
	}
	id := aws.ToString(out.QueryExecutionId)
	if started != nil {
		started(id)
	}
	res := &AthenaResult{QueryID: id}

	wait := p.Initial
	if wait <= 0 {
		wait = 250 * time.Millisecond
	}
	maxWait := p.Max
	if maxWait <= 0 {
		maxWait = 5 * time.Second
	}
	for {
		qe, err := a.execution(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return a.stop(id, res)
			}
			return nil, err
		}
		fill(res, qe)
		switch res.State {
		case string(types.QueryExecutionStateSucceeded):
			if err := a.results(ctx, id, res); err != nil {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("reading the results of query %s was interrupted: %w", id, ctx.Err())
				}
				return res, err
			}
			return res, nil
		case string(types.QueryExecutionStateFailed):
			return res, fmt.Errorf("%w (query %s): %s", ErrQueryFailed, id, res.Reason)
		case string(types.QueryExecutionStateCancelled):
			return res, fmt.Errorf("%w (query %s): %s", ErrQueryCancelled, id, orUnknown(res.Reason))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return a.stop(id, res)
		case <-t.C:
		}
		wait = min(wait+wait/2, maxWait)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

// stop cancels a running query after the caller's context ended.
func (a *Athena) stop(id string, res *AthenaResult) (*AthenaResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := a.c.StopQueryExecution(ctx, &athena.StopQueryExecutionInput{QueryExecutionId: aws.String(id)}); err != nil {
		return res, fmt.Errorf("interrupted, but StopQueryExecution for query %s failed, so it may still be running (and billing): %w", id, err)
	}
	if qe, err := a.execution(ctx, id); err == nil {
		fill(res, qe)
	}
	return res, fmt.Errorf("%w (query %s): stopped at your request (StopQueryExecution sent)", ErrQueryCancelled, id)
}

func (a *Athena) execution(ctx context.Context, id string) (*types.QueryExecution, error) {
	out, err := a.c.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String(id)})
	if err != nil {
		return nil, fmt.Errorf("Athena GetQueryExecution %s: %w", id, err)
	}
	if out.QueryExecution == nil || out.QueryExecution.Status == nil {
		return nil, fmt.Errorf("Athena GetQueryExecution %s: no status in the answer", id)
	}
	return out.QueryExecution, nil
}

func fill(res *AthenaResult, qe *types.QueryExecution) {
	res.State = string(qe.Status.State)
	res.StatementType = string(qe.StatementType)
	res.Reason = aws.ToString(qe.Status.StateChangeReason)
	if qe.Status.AthenaError != nil && qe.Status.AthenaError.ErrorMessage != nil && res.Reason == "" {
		res.Reason = aws.ToString(qe.Status.AthenaError.ErrorMessage)
	}
	if s := qe.Statistics; s != nil {
		res.ScannedBytes = aws.ToInt64(s.DataScannedInBytes)
		res.EngineTime = time.Duration(aws.ToInt64(s.EngineExecutionTimeInMillis)) * time.Millisecond
	}
	if rc := qe.ResultConfiguration; rc != nil {
		res.ResultsURL = aws.ToString(rc.OutputLocation)
	}
}

// results reads every page of a succeeded query. For a SELECT (statement
// type DML) Athena's first row is the column labels, not data; it is
// dropped only when it matches them, so a data row is never lost.
func (a *Athena) results(ctx context.Context, id string, res *AthenaResult) error {
	in := &athena.GetQueryResultsInput{QueryExecutionId: aws.String(id), MaxResults: aws.Int32(1000)}
	first := true
	for {
		out, err := a.c.GetQueryResults(ctx, in)
		if err != nil {
			return fmt.Errorf("Athena GetQueryResults %s: %w", id, err)
		}
		if out.ResultSet == nil {
			return fmt.Errorf("Athena GetQueryResults %s: no result set in the answer", id)
		}
		if first && out.ResultSet.ResultSetMetadata != nil {
			for _, ci := range out.ResultSet.ResultSetMetadata.ColumnInfo {
				res.Columns = append(res.Columns, AthenaColumn{Name: aws.ToString(ci.Name), Type: aws.ToString(ci.Type)})
			}
		}
		rows := out.ResultSet.Rows
		if first && res.StatementType == string(types.StatementTypeDml) && len(rows) > 0 && isHeader(rows[0], res.Columns) {
			rows = rows[1:]
		}
		for _, r := range rows {
			if len(r.Data) != len(res.Columns) {
				return fmt.Errorf("Athena GetQueryResults %s: a row has %d values for %d columns", id, len(r.Data), len(res.Columns))
			}
			vals := make([]*string, len(r.Data))
			for i, d := range r.Data {
				vals[i] = d.VarCharValue
			}
			res.Rows = append(res.Rows, vals)
		}
		first = false
		if out.NextToken == nil || *out.NextToken == "" {
			return nil
		}
		in.NextToken = out.NextToken
	}
}

func isHeader(r types.Row, cols []AthenaColumn) bool {
	if len(r.Data) != len(cols) {
		return false
	}
	for i, d := range r.Data {
		if d.VarCharValue == nil || *d.VarCharValue != cols[i].Name {
			return false
		}
	}
	return true
}
