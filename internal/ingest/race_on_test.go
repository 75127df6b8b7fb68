//go:build race

package ingest

// raceEnabled is true when the tests run under the race detector, which
// makes the scale tests (not about concurrency) too slow to be worth it.
const raceEnabled = true
