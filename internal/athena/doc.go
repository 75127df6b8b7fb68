// Package athena generates what flowir hands to Amazon Athena when the flow
// logs outgrow one machine: the CREATE EXTERNAL TABLE in the real column
// order of the log format with the AWS incident-response playbook's
// partition projection (plain, hourly and Hive-compatible layouts, text or
// Parquet), the incident_iocs table and the directional IOC view, the
// catalog's named queries rendered for the generated table, a CloudFormation
// template, and the arithmetic of Athena's bill.
//
// It validates everything a user types before it becomes DDL text: bucket
// names by S3's rules, 12-digit account ids, Region names, the reserved
// AWSLogs prefix, lists without spaces, log formats without unknown fields.
// A mistake in any of these does not fail in Athena, it silently finds no
// data (or, for a column order, reads one field as another), which is why
// they are refused here.
//
// The package uses the standard library and flowir's own standard-library
// packages (internal/flow for the field registry, internal/analysis for the
// query catalog); it talks to no service. internal/awsapi runs what it
// generates.
package athena
