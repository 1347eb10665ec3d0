package speech

import (
	"math"

	"github.com/gopxl/beep/v2"
)

// resampleQuality is beep's interpolation order: 4 is its "good quality" setting, ample for
// speech and tones.
const resampleQuality = 4

// Resample converts p to rate Hz with beep's resampler (Lagrange interpolation), for outputs
// that cannot play the voice's own rate. PCM already at rate is returned as it is.
func Resample(p PCM, rate int) PCM {
	if p.Rate == rate || p.Rate <= 0 || rate <= 0 || len(p.Samples) == 0 {
		return PCM{Rate: rate, Samples: p.Samples}
	}
	pos := 0
	src := beep.StreamerFunc(func(buf [][2]float64) (int, bool) {
		if pos >= len(p.Samples) {
			return 0, false
		}
		n := min(len(buf), len(p.Samples)-pos)
		for i := range n {
			v := float64(p.Samples[pos+i]) / 32768
			buf[i] = [2]float64{v, v}
		}
		pos += n
		return n, true
	})
	r := beep.Resample(resampleQuality, beep.SampleRate(p.Rate), beep.SampleRate(rate), src)
	want := int(int64(len(p.Samples)) * int64(rate) / int64(p.Rate))
	out := make([]int16, 0, want)
	buf := make([][2]float64, 512)
	for len(out) < want {
		n, ok := r.Stream(buf[:min(len(buf), want-len(out))])
		for _, s := range buf[:n] {
			out = append(out, int16(max(min(math.Round(s[0]*32768), 32767), -32768)))
		}
		if !ok || n == 0 {
			break
		}
	}
	return PCM{Rate: rate, Samples: out}
}
