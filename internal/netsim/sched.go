package netsim

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
)

// behaviour is one source of traffic: called for every five-minute slice
// in time order, it generates the connections that start in the slice.
type behaviour struct {
	name string
	kind string // the name without the host it is about
	run  func(s0, s1 int64)
}

// stream returns a random stream of its own for a behaviour, so that
// adding or changing one behaviour leaves the others' traffic unchanged.
func (g *gen) stream(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(g.cfg.Seed, h.Sum64()))
}

// behave registers a behaviour; mk receives its random stream.
func (g *gen) behave(name string, mk func(rng *rand.Rand) func(s0, s1 int64)) {
	kind := name
	for i := 0; i+1 < len(name); i++ {
		if name[i] == ' ' && name[i+1] >= '0' && name[i+1] <= '9' {
			kind = name[:i]
			break
		}
	}
	g.behaviours = append(g.behaviours, behaviour{name: name, kind: kind, run: mk(g.stream(name))})
}

// ticker fires at a period with a relative jitter: each interval is
// period * (1 + U(-jitter, +jitter)).
type ticker struct {
	next   int64
	period float64
	jitter float64
}

func newTicker(rng *rand.Rand, start int64, period, jitter float64) *ticker {
	return &ticker{next: start + int64(rng.Float64()*period), period: period, jitter: jitter}
}

// each calls fn for every tick in [s0, s1).
func (k *ticker) each(rng *rand.Rand, s0, s1 int64, fn func(t int64)) {
	for k.next < s1 {
		if k.next >= s0 {
			fn(k.next)
		}
		d := k.period
		if k.jitter > 0 {
			d *= 1 + k.jitter*(2*rng.Float64()-1)
		}
		k.next += max(1, int64(math.Round(d)))
	}
}

// poisson calls fn at the times of a Poisson process with rate per hour in
// [s0, s1), in time order.
func poisson(rng *rand.Rand, s0, s1 int64, perHour float64, fn func(t int64)) {
	n := poissonN(rng, perHour*float64(s1-s0)/3600)
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = s0 + rng.Int64N(s1-s0)
	}
	sortInt64(ts)
	for _, t := range ts {
		fn(t)
	}
}

func poissonN(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 50 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func sortInt64(xs []int64) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j-1] > xs[j]; j-- {
			xs[j-1], xs[j] = xs[j], xs[j-1]
		}
	}
}

// between returns a uniform integer in [lo, hi].
func between(rng *rand.Rand, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + rng.Int64N(hi-lo+1)
}

// logUniform returns a value between lo and hi, uniform in log scale
// (sizes of files and transfers).
func logUniform(rng *rand.Rand, lo, hi float64) int64 {
	return int64(math.Exp(math.Log(lo) + rng.Float64()*(math.Log(hi)-math.Log(lo))))
}

// workHours is the share of a business's activity at t for a time zone
// offset in hours: full from 08:00 to 18:00 local time on weekdays, a
// little in the evening, almost none at night.
func workHours(t int64, tz int) float64 {
	h := ((t/3600+int64(tz))%24 + 24) % 24
	switch {
	case h >= 8 && h < 18:
		return 1
	case h >= 18 && h < 22:
		return 0.25
	case h >= 7 && h < 8:
		return 0.4
	}
	return 0.03
}

// diurnal is the load of a consumer-facing service at t: a trough at
// night, a peak in the afternoon (of its users' time zone).
func diurnal(t int64, tz int) float64 {
	h := float64(((t/3600+int64(tz))%24+24)%24) + float64(t%3600)/3600
	return 0.55 + 0.45*math.Cos((h-15)/24*2*math.Pi)
}
