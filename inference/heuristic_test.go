package inference

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/bus"
)

// scene paints a 320×180 background with boxes given in a 16×9 grid and returns it as a frame.
func scene(t testing.TB, bg color.RGBA, boxes map[image.Rectangle]color.RGBA) bus.Frame {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 180))
	for y := 0; y < 180; y++ {
		for x := 0; x < 320; x++ {
			c := bg
			for r, bc := range boxes {
				if (image.Point{x / 20, y / 20}).In(r) {
					c = bc
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return bus.Frame{ID: "f", Camera: "cam0", JPEG: buf.Bytes()}
}

var (
	beige = color.RGBA{225, 215, 190, 255}
	red   = color.RGBA{200, 30, 30, 255}
	blue  = color.RGBA{30, 60, 200, 255}
	dark  = color.RGBA{10, 10, 10, 255}
)

func TestHeuristicNarratesChanges(t *testing.T) {
	h := NewHeuristic()
	steps := []struct {
		name  string
		frame bus.Frame
		want  []string
		not   []string
	}{
		{"first view", scene(t, beige, map[image.Rectangle]color.RGBA{image.Rect(0, 2, 4, 8): red}),
			[]string{"mostly beige", "red on the left"}, []string{"changed", "No change"}},
		{"same view", scene(t, beige, map[image.Rectangle]color.RGBA{image.Rect(0, 2, 4, 8): red}),
			[]string{"No change."}, nil},
		{"object appears on the right", scene(t, beige, map[image.Rectangle]color.RGBA{image.Rect(0, 2, 4, 8): red, image.Rect(12, 1, 16, 8): blue}),
			[]string{"Blue appeared on the right."}, []string{"left"}},
		{"object leaves", scene(t, beige, map[image.Rectangle]color.RGBA{image.Rect(0, 2, 4, 8): red}),
			[]string{"The blue on the right is gone."}, []string{"appeared"}},
		{"object moves within its colour", scene(t, beige, map[image.Rectangle]color.RGBA{image.Rect(0, 0, 4, 4): red}),
			[]string{"Something changed on the left."}, nil},
		{"lights off", scene(t, dark, nil), []string{"The lights went off.", "Very dark."}, nil},
		{"lights on", scene(t, beige, nil), []string{"The lights came on."}, nil},
	}
	for _, s := range steps {
		res, err := h.Describe(context.Background(), s.frame, nil)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for _, w := range s.want {
			if !strings.Contains(res.Text, w) {
				t.Errorf("%s: %q does not say %q", s.name, res.Text, w)
			}
		}
		for _, n := range s.not {
			if strings.Contains(res.Text, n) {
				t.Errorf("%s: %q should not say %q", s.name, res.Text, n)
			}
		}
		if res.Metadata["note"] == nil || h.Info().IsModel {
			t.Errorf("%s: the heuristic must say it is not a model", s.name)
		}
	}
}

func TestHeuristicKeepsCamerasApart(t *testing.T) {
	h := NewHeuristic()
	a := scene(t, beige, nil)
	b := scene(t, dark, nil)
	b.Camera = "cam1"
	h.Describe(context.Background(), a, nil)
	res, _ := h.Describe(context.Background(), b, nil)
	if strings.Contains(res.Text, "lights") {
		t.Fatalf("first frame of cam1 compared with cam0: %q", res.Text)
	}
}

func TestHeuristicRejectsCorruptJPEG(t *testing.T) {
	f := scene(t, beige, nil)
	f.JPEG = f.JPEG[:len(f.JPEG)/3]
	if _, err := NewHeuristic().Describe(context.Background(), f, nil); err == nil {
		t.Fatal("a truncated JPEG described without error")
	}
}

func TestColourNames(t *testing.T) {
	cases := map[color.RGBA]string{
		{0, 0, 0, 255}: "black", {250, 250, 250, 255}: "white", {128, 128, 128, 255}: "grey",
		{220, 20, 20, 255}: "red", {240, 140, 20, 255}: "orange", {230, 220, 30, 255}: "yellow",
		{30, 180, 40, 255}: "green", {30, 200, 210, 255}: "cyan", {30, 60, 220, 255}: "blue",
		{130, 40, 200, 255}: "purple", {230, 60, 160, 255}: "pink", {225, 215, 190, 255}: "beige",
		{110, 60, 20, 255}: "brown",
	}
	for c, want := range cases {
		if got := colourName(cell{float64(c.R), float64(c.G), float64(c.B)}); got != want {
			t.Errorf("colourName(%v) = %q, want %q", c, got, want)
		}
	}
}

func FuzzHeuristicDescribe(f *testing.F) {
	f.Add(scene(f, beige, nil).JPEG)
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Fuzz(func(t *testing.T, data []byte) {
		h := NewHeuristic()
		res, err := h.Describe(context.Background(), bus.Frame{Camera: "c", JPEG: data}, nil)
		if err == nil && res.Text == "" {
			t.Fatal("a decodable frame gave no text")
		}
	})
}
