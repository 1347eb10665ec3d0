package scale

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFlagsParsed(t *testing.T) {
	cases := []struct {
		args      []string
		hosts     []int
		latencies []time.Duration
		err       string
	}{
		{nil, DefaultHosts, nil, ""},
		{[]string{"--hosts", "3, 5", "--latencies", "250ms,1s"}, []int{3, 5}, []time.Duration{250 * time.Millisecond, time.Second}, ""},
		{[]string{"--hosts", "0"}, nil, nil, "--hosts"},
		{[]string{"--hosts", "two"}, nil, nil, "--hosts"},
		{[]string{"--latencies", "1s,-2s"}, nil, nil, "--latencies"},
	}
	for _, c := range cases {
		var f Flags
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f.Register(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := f.Parsed("narrator", io.Discard)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: %v, want an error naming %s", c.args, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(cfg.Hosts, c.hosts) || !reflect.DeepEqual(cfg.Latencies, c.latencies) || cfg.Exe != "narrator" {
			t.Errorf("%v: %+v, %v", c.args, cfg, err)
		}
	}
}

func TestWanted(t *testing.T) {
	for args, want := range map[string]bool{"--scale": true, "-scale=true --hosts 1": true, "--scale=1": true, "--hosts 1": false,
		"-- --scale": false, "--scale=false": false, "": false} {
		if got := Wanted(strings.Fields(args)); got != want {
			t.Errorf("Wanted(%q) = %v, want %v", args, got, want)
		}
	}
}
