package speech

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// PCM is mono 16-bit linear audio.
type PCM struct {
	// Rate is the sample rate in Hz.
	Rate int
	// Samples are the signed 16-bit samples, one channel.
	Samples []int16
}

// Duration is how long the audio plays.
func (p PCM) Duration() time.Duration {
	if p.Rate <= 0 {
		return 0
	}
	return time.Duration(len(p.Samples)) * time.Second / time.Duration(p.Rate)
}

// ErrBadWAV is returned for data that is not a usable WAV file.
var ErrBadWAV = errors.New("not a usable WAV")

// maxRate bounds the sample rates ParseWAV accepts.
const maxRate = 384000

// ParseWAV decodes a RIFF/WAVE file of 16-bit PCM (plain or WAVE_FORMAT_EXTENSIBLE), mono or
// multi-channel (mixed down to mono). Unknown chunks are skipped. A data chunk whose size is
// unknown or larger than what follows (a WAV streamed to a pipe, as espeak-ng --stdout writes)
// runs to the end of the data.
func ParseWAV(data []byte) (PCM, error) {
	if len(data) < 12 || string(data[0:4]) != "RIFF" || string(data[8:12]) != "WAVE" {
		return PCM{}, fmt.Errorf("%w: no RIFF/WAVE header", ErrBadWAV)
	}
	var (
		channels, bits int
		rate           uint32
		haveFmt        bool
	)
	rest := data[12:]
	for len(rest) >= 8 {
		id, size := string(rest[0:4]), binary.LittleEndian.Uint32(rest[4:8])
		body := rest[8:]
		switch id {
		case "fmt ":
			if size < 16 || uint64(size) > uint64(len(body)) {
				return PCM{}, fmt.Errorf("%w: fmt chunk of %d bytes", ErrBadWAV, size)
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			channels = int(binary.LittleEndian.Uint16(body[2:4]))
			rate = binary.LittleEndian.Uint32(body[4:8])
			bits = int(binary.LittleEndian.Uint16(body[14:16]))
			if format == 0xFFFE && size >= 26 {
				format = binary.LittleEndian.Uint16(body[24:26]) // the sub-format GUID starts with the tag
			}
			if format != 1 {
				return PCM{}, fmt.Errorf("%w: format tag %#x, want PCM", ErrBadWAV, format)
			}
			if bits != 16 {
				return PCM{}, fmt.Errorf("%w: %d-bit samples, want 16", ErrBadWAV, bits)
			}
			if channels < 1 || channels > 8 {
				return PCM{}, fmt.Errorf("%w: %d channels", ErrBadWAV, channels)
			}
			if rate < 1000 || rate > maxRate {
				return PCM{}, fmt.Errorf("%w: sample rate %d Hz", ErrBadWAV, rate)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return PCM{}, fmt.Errorf("%w: data before fmt", ErrBadWAV)
			}
			n := uint64(size)
			if n == 0 || n > uint64(len(body)) {
				n = uint64(len(body)) // streamed: the size was not known when the header was written
			}
			return PCM{Rate: int(rate), Samples: mixDown(body[:n], channels)}, nil
		}
		skip := uint64(size) + uint64(size&1) // chunks are padded to even sizes
		if skip > uint64(len(body)) {
			break
		}
		rest = body[skip:]
	}
	return PCM{}, fmt.Errorf("%w: no data chunk", ErrBadWAV)
}

// mixDown turns interleaved little-endian 16-bit frames into mono samples, ignoring a trailing
// partial frame.
func mixDown(b []byte, channels int) []int16 {
	frames := len(b) / (2 * channels)
	out := make([]int16, frames)
	for i := range out {
		sum := 0
		for c := range channels {
			off := 2 * (i*channels + c)
			sum += int(int16(binary.LittleEndian.Uint16(b[off:])))
		}
		out[i] = int16(sum / channels)
	}
	return out
}

// parseRaw decodes headerless little-endian 16-bit mono samples.
func parseRaw(b []byte, rate int) PCM {
	return PCM{Rate: rate, Samples: mixDown(b, 1)}
}

// EncodeWAV writes p as a 16-bit mono RIFF/WAVE file.
func EncodeWAV(p PCM) []byte {
	n := 2 * len(p.Samples)
	b := make([]byte, 44+n)
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1)
	binary.LittleEndian.PutUint16(b[22:], 1)
	binary.LittleEndian.PutUint32(b[24:], uint32(p.Rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*p.Rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n))
	for i, s := range p.Samples {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
	}
	return b
}
