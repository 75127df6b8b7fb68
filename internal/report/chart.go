package report

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Chart is a stacked bar chart over time: one bar per bucket, one segment
// per series. It is drawn as inline SVG by the templates from its Layout,
// so the page needs no script and no library to show it.
type Chart struct {
	ID     string // element id: traffic-bytes
	Title  string
	Unit   string // what the values count: bytes, records
	Start  []time.Time
	Step   time.Duration
	Series []Series
	// Link, when set, makes each bar a link to Link + "since=FROM&until=TO"
	// (flowir serve narrows its window to the bar); never in a report file.
	Link string
}

// Series is one stacked segment of every bar.
type Series struct {
	Name   string
	Class  string // CSS class: accepted, rejected, evidence
	Values []float64
}

// Layout is a chart's SVG geometry, in user units of the viewBox.
type Layout struct {
	Width, Height float64
	Bars          []Bar
	YTicks        []Tick
	XTicks        []Tick
	Legend        []Series
	PlotLeft      float64
	PlotBottom    float64
	PlotRight     float64
}

// Bar is one drawn segment; Title is its tooltip.
type Bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
	// From and To are the bucket's bounds in RFC 3339, for links that narrow
	// a window to the bar (serve).
	From, To string
}

// Tick is an axis label at a position.
type Tick struct {
	Pos   float64
	Label string
}

// Empty reports whether the chart has nothing to draw.
func (c *Chart) Empty() bool {
	if c == nil {
		return true
	}
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v > 0 {
				return false
			}
		}
	}
	return true
}

// Layout places the bars of the chart in a width x height box.
func (c *Chart) Layout(width, height float64) Layout {
	const left, right, top, bottom = 64.0, 8.0, 8.0, 22.0
	l := Layout{Width: width, Height: height, PlotLeft: left, PlotBottom: height - bottom, PlotRight: width - right, Legend: c.Series}
	n := len(c.Start)
	if n == 0 {
		return l
	}
	maxV := 0.0
	for i := 0; i < n; i++ {
		sum := 0.0
		for _, s := range c.Series {
			sum += s.Values[i]
		}
		maxV = math.Max(maxV, sum)
	}
	if maxV == 0 {
		maxV = 1
	}
	top1 := niceCeil(maxV)
	plotW, plotH := width-left-right, height-top-bottom
	bw := plotW / float64(n)
	gap := math.Min(1, bw/5)
	for i := 0; i < n; i++ {
		y := height - bottom
		from := c.Start[i].UTC()
		to := from.Add(c.Step)
		for _, s := range c.Series {
			v := s.Values[i]
			if v <= 0 {
				continue
			}
			h := v / top1 * plotH
			y -= h
			l.Bars = append(l.Bars, Bar{
				X: round2(left + float64(i)*bw), Y: round2(y), W: round2(math.Max(bw-gap, 0.5)), H: round2(math.Max(h, 0.5)),
				Class: s.Class,
				Title: fmt.Sprintf("%s – %s: %s %s %s", from.Format("2006-01-02 15:04"), to.Format("15:04 MST"), human(v), s.Name, c.Unit),
				From:  from.Format(time.RFC3339), To: to.Format(time.RFC3339),
			})
		}
	}
	for k := 0; k <= 4; k++ {
		v := top1 * float64(k) / 4
		l.YTicks = append(l.YTicks, Tick{Pos: round2(height - bottom - v/top1*plotH), Label: human(v)})
	}
	ticks := 4
	if n < ticks {
		ticks = n
	}
	for k := 0; k < ticks; k++ {
		i := k * (n - 1) / max(ticks-1, 1)
		if ticks == 1 {
			i = 0
		}
		layout := "01-02 15:04"
		if c.Step >= 24*time.Hour {
			layout = "2006-01-02"
		}
		l.XTicks = append(l.XTicks, Tick{Pos: round2(left + (float64(i)+0.5)*bw), Label: c.Start[i].UTC().Format(layout)})
	}
	return l
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// human writes a count with an SI suffix: 1.5k, 20M, 3.1G.
func human(v float64) string {
	units := []string{"", "k", "M", "G", "T", "P", "E"}
	i := 0
	for math.Abs(v) >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64) + units[i]
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + units[i]
}

// bucketFor picks a bucket length giving at most maxBars bars over span:
// the smallest of a list of round steps.
func bucketFor(span time.Duration, maxBars int) time.Duration {
	steps := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour,
		6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour, 365 * 24 * time.Hour}
	for _, s := range steps {
		if span/s < time.Duration(maxBars) {
			return s
		}
	}
	// Times written in milliseconds span millennia: a step per maxBars-th.
	return (span/time.Duration(maxBars) + time.Hour).Truncate(time.Hour)
}

// stepText says a bucket length in words: "30 minutes", "1 hour", "7 days".
func stepText(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return d.String()
}
