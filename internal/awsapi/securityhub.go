package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
)

// SecurityHub sends findings to AWS Security Hub (REST-JSON,
// POST /findings/import).
type SecurityHub struct {
	Region string
	client *securityhub.Client
}

// NewSecurityHub returns a client for opts.Region (or the chain's region).
func NewSecurityHub(ctx context.Context, opts Options) (*SecurityHub, error) {
	cfg, err := Load(ctx, opts)
	if err != nil {
		return nil, err
	}
	c := securityhub.NewFromConfig(cfg, func(o *securityhub.Options) {
		o.Retryer = newRetryer(opts.MaxAttempts, DefaultEC2Attempts, false)
	})
	return &SecurityHub{Region: cfg.Region, client: c}, nil
}

// MaxFindingsPerImport is BatchImportFindings' limit per call.
const MaxFindingsPerImport = 100

// ImportResult is the outcome of ImportFindings.
type ImportResult struct {
	Success int
	Failed  int
	Errors  []string // "finding id: code message" for each failed finding
	Calls   int
}

// ImportFindings sends findings given as ASFF JSON objects, 100 per
// BatchImportFindings call. Findings Security Hub refuses are counted and
// named in the result; an error is returned only when a call fails as a whole
// (after retries), with the findings sent so far counted.
func (s *SecurityHub) ImportFindings(ctx context.Context, findings []json.RawMessage) (ImportResult, error) {
	var res ImportResult
	batch := make([]types.AwsSecurityFinding, 0, MaxFindingsPerImport)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res.Calls++
		out, err := s.client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: batch})
		if err != nil {
			var ae smithy.APIError
			if errors.As(err, &ae) && (ae.ErrorCode() == "InvalidAccessException" || strings.Contains(ae.ErrorCode(), "AccessDenied")) {
				return fmt.Errorf("BatchImportFindings (Security Hub) in %s: %s: %s (is Security Hub enabled in this account and region, and may the credentials call securityhub:BatchImportFindings?)", s.Region, ae.ErrorCode(), ae.ErrorMessage())
			}
			return fmt.Errorf("BatchImportFindings (Security Hub) in %s: %w", s.Region, err)
		}
		res.Success += int(aws.ToInt32(out.SuccessCount))
		res.Failed += int(aws.ToInt32(out.FailedCount))
		for _, f := range out.FailedFindings {
			res.Errors = append(res.Errors, fmt.Sprintf("%s: %s %s", aws.ToString(f.Id), aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage)))
		}
		batch = batch[:0]
		return nil
	}
	for i, raw := range findings {
		var f types.AwsSecurityFinding
		if err := json.Unmarshal(raw, &f); err != nil {
			return res, fmt.Errorf("finding %d is not ASFF JSON: %w", i+1, err)
		}
		batch = append(batch, f)
		if len(batch) == MaxFindingsPerImport {
			if err := flush(); err != nil {
				return res, err
			}
		}
	}
	return res, flush()
}
