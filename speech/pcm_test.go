package speech

import (
	"encoding/binary"
	"errors"
	"testing"
)

// wavBytes builds a WAV with the given fmt fields, extra chunks before data, and data size field.
func wavBytes(format uint16, channels uint16, rate uint32, bits uint16, extra []byte, dataSize uint32, data []byte) []byte {
	var b []byte
	b = append(b, "RIFF\x00\x00\x00\x00WAVE"...)
	b = append(b, extra...)
	b = append(b, "fmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, format)
	b = binary.LittleEndian.AppendUint16(b, channels)
	b = binary.LittleEndian.AppendUint32(b, rate)
	b = binary.LittleEndian.AppendUint32(b, rate*uint32(channels)*uint32(bits/8))
	b = binary.LittleEndian.AppendUint16(b, channels*bits/8)
	b = binary.LittleEndian.AppendUint16(b, bits)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, dataSize)
	return append(b, data...)
}

var samples4 = []byte{1, 0, 2, 0, 0xFF, 0xFF, 0, 0x80} // 1, 2, -1, -32768

var wavCases = []struct {
	name    string
	data    []byte
	want    []int16
	rate    int
	wantErr bool
}{
	{"mono", wavBytes(1, 1, 22050, 16, nil, 8, samples4), []int16{1, 2, -1, -32768}, 22050, false},
	{"streamed size 0x7ffff000 as espeak-ng writes", wavBytes(1, 1, 22050, 16, nil, 0x7ffff000, samples4), []int16{1, 2, -1, -32768}, 22050, false},
	{"size zero", wavBytes(1, 1, 16000, 16, nil, 0, samples4), []int16{1, 2, -1, -32768}, 16000, false},
	{"stereo mixed down", wavBytes(1, 2, 44100, 16, nil, 8, samples4), []int16{1, -16384}, 44100, false},
	{"odd trailing byte ignored", wavBytes(1, 1, 22050, 16, nil, 3, samples4[:3]), []int16{1}, 22050, false},
	{"unknown chunk skipped (say writes FLLR)", wavBytes(1, 1, 22050, 16, []byte("FLLR\x03\x00\x00\x00abc\x00"), 2, samples4[:2]), []int16{1}, 22050, false},
	{"empty data", wavBytes(1, 1, 22050, 16, nil, 0, nil), []int16{}, 22050, false},
	{"float format", wavBytes(3, 1, 22050, 32, nil, 8, samples4), nil, 0, true},
	{"8-bit", wavBytes(1, 1, 22050, 8, nil, 4, samples4[:4]), nil, 0, true},
	{"zero channels", wavBytes(1, 0, 22050, 16, nil, 8, samples4), nil, 0, true},
	{"rate zero", wavBytes(1, 1, 0, 16, nil, 8, samples4), nil, 0, true},
	{"not RIFF", []byte("OggS\x00\x00\x00\x00WAVEfmt "), nil, 0, true},
	{"truncated header", []byte("RIFF"), nil, 0, true},
	{"no data chunk", wavBytes(1, 1, 22050, 16, nil, 8, samples4)[:36], nil, 0, true},
	{"data before fmt", []byte("RIFF\x00\x00\x00\x00WAVEdata\x02\x00\x00\x00\x01\x00"), nil, 0, true},
	{"fmt chunk too short", []byte("RIFF\x00\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00"), nil, 0, true},
	{"chunk size past the end", []byte("RIFF\x00\x00\x00\x00WAVEJUNK\xff\xff\xff\xff"), nil, 0, true},
}

func TestParseWAV(t *testing.T) {
	for _, c := range wavCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParseWAV(c.data)
			if c.wantErr {
				if !errors.Is(err, ErrBadWAV) {
					t.Fatalf("err %v, want ErrBadWAV", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Rate != c.rate || len(p.Samples) != len(c.want) {
				t.Fatalf("got %d Hz %v, want %d Hz %v", p.Rate, p.Samples, c.rate, c.want)
			}
			for i := range c.want {
				if p.Samples[i] != c.want[i] {
					t.Fatalf("sample %d = %d, want %d", i, p.Samples[i], c.want[i])
				}
			}
		})
	}
}

func TestEncodeWAVRoundTrip(t *testing.T) {
	in := EarconPCM(EarconThinking, 22050)
	out, err := ParseWAV(EncodeWAV(in))
	if err != nil {
		t.Fatal(err)
	}
	if out.Rate != in.Rate || len(out.Samples) != len(in.Samples) || out.Duration() != in.Duration() {
		t.Fatalf("round trip changed the audio: %d Hz %d samples, want %d Hz %d", out.Rate, len(out.Samples), in.Rate, len(in.Samples))
	}
}

func FuzzParseWAV(f *testing.F) {
	for _, c := range wavCases {
		f.Add(c.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseWAV(data)
		if err != nil {
			if !errors.Is(err, ErrBadWAV) {
				t.Fatalf("error %v is not ErrBadWAV", err)
			}
			return
		}
		if p.Rate < 1000 || p.Rate > maxRate {
			t.Fatalf("accepted rate %d", p.Rate)
		}
		if 2*len(p.Samples) > len(data) {
			t.Fatalf("%d samples from %d bytes", len(p.Samples), len(data))
		}
	})
}

func TestEarconsAreDistinctAndShort(t *testing.T) {
	seen := map[int]Earcon{}
	for _, e := range Earcons {
		p := EarconPCM(e, 22050)
		if d := p.Duration(); d <= 0 || d > 300e6 {
			t.Fatalf("%s lasts %s", e, d)
		}
		peak := 0
		for _, s := range p.Samples {
			peak = max(peak, abs(int(s)))
		}
		if peak < 3000 {
			t.Fatalf("%s is nearly silent (peak %d)", e, peak)
		}
		if other, ok := seen[len(p.Samples)]; ok {
			t.Fatalf("%s and %s have the same length; they should sound distinct", e, other)
		}
		seen[len(p.Samples)] = e
	}
	if p := EarconPCM("nonsense", 22050); len(p.Samples) != 0 {
		t.Fatal("unknown earcon made sound")
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
