package scale

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// Row is one run's figures: Hosts inference hosts serving Cameras cameras.
type Row struct {
	Mode    string
	Hosts   int
	Cameras int
	// Described is how many frames were described in the window. Throughput is the frames
	// described per second: the sum over the hosts of each host's rate in the window (its
	// descriptions there less one, over the time from its first to its last), which, unlike
	// a count over the window, does not depend on where the window's edges cut a generation.
	Described  int
	Throughput float64
	// Efficiency is Throughput over Hosts times the throughput per host of the run with the
	// fewest hosts (1 when that run had one host): 1 is linear scaling.
	Efficiency float64
	// Changes are the scene changes the cameras made in the window. A change is lost when no
	// description of its camera shows it or a later scene of that camera (a newer scene
	// replacing a waiting one is not a loss: the newest wins within a camera).
	Changes int
	Lost    int
	// LostLate are the lost changes made in the window's last MaxAge: a frame of those still
	// waiting when the cameras stop can pass --max-age before a host is free for it.
	LostLate int
	// LostPerCamera lists the cameras that lost changes, with how many.
	LostPerCamera map[string]int
	// ReactionP50 and ReactionP99 are the times from a change to the end of the first
	// description that shows it (or a later scene of its camera).
	ReactionP50, ReactionP99 time.Duration
	// CPU is the CPU time of every process of the run (the harness with its cameras and NATS
	// server, and the hosts); CPUPerFrame is CPU over every frame described in the run.
	CPU, CPUPerFrame time.Duration
	// PerHost is how many frames each host described in the window.
	PerHost map[string]int
	// Redelivered and Stale are the hosts' counters at the end (frames handed out again, and
	// frames too old to describe); a killed host's are lost with it.
	Redelivered, Stale uint64
	// Killed is the frame the killed host was working on (Config.KillHost), KilledOutcome what
	// became of it: "described again by hostN", "stale (counted)", "superseded by CAMERA-S"
	// (a newer scene of its camera was described), or "lost".
	Killed, KilledOutcome string
}

// Report is every run of the harness.
type Report struct {
	Config Config
	Rows   []Row
}

// analyse fills the row from the changes and the final descriptions.
func (r *Row) analyse(changes []change, finals []bus.Description, window [2]time.Time, cfg Config) {
	type shown struct {
		scene int
		at    time.Time
	}
	byCamera := map[string][]shown{}   // each camera's described scenes
	spans := map[string][2]time.Time{} // each host's first and last completion in the window
	for _, d := range finals {
		if d.Error != "" || d.Cancelled != "" {
			continue
		}
		camera, scene := sceneOf(d.FrameID)
		if scene < 0 || camera != d.Camera {
			continue
		}
		byCamera[camera] = append(byCamera[camera], shown{scene, d.CompletedAt})
		if !d.CompletedAt.Before(window[0]) && d.CompletedAt.Before(window[1]) {
			r.Described++
			h := strings.TrimPrefix(d.Model, "sim-")
			r.PerHost[h]++
			sp, ok := spans[h]
			if !ok || d.CompletedAt.Before(sp[0]) {
				sp[0] = d.CompletedAt
			}
			if d.CompletedAt.After(sp[1]) {
				sp[1] = d.CompletedAt
			}
			spans[h] = sp
		}
	}
	for h, sp := range spans {
		if n := r.PerHost[h]; n > 1 && sp[1].After(sp[0]) {
			r.Throughput += float64(n-1) / sp[1].Sub(sp[0]).Seconds()
		}
	}
	total := 0
	for _, s := range byCamera {
		total += len(s)
	}
	if total > 0 {
		r.CPUPerFrame = r.CPU / time.Duration(total)
	}
	r.LostPerCamera = map[string]int{}
	var reactions []time.Duration
	for _, c := range changes {
		if c.At.Before(window[0]) || !c.At.Before(window[1]) {
			continue
		}
		r.Changes++
		var first time.Time
		for _, s := range byCamera[c.Camera] {
			if s.scene >= c.Scene && (first.IsZero() || s.at.Before(first)) {
				first = s.at
			}
		}
		if first.IsZero() {
			r.Lost++
			r.LostPerCamera[c.Camera]++
			if cfg.MaxAge > 0 && !c.At.Before(window[1].Add(-cfg.MaxAge)) {
				r.LostLate++
			}
			continue
		}
		reactions = append(reactions, first.Sub(c.At))
	}
	r.ReactionP50, r.ReactionP99 = percentile(reactions, 0.50), percentile(reactions, 0.99)
	if r.Killed != "" {
		r.KilledOutcome = killedOutcome(r.Killed, finals, r.Stale)
	}
}

// killedOutcome says what became of the frame a killed host was working on.
func killedOutcome(frame string, finals []bus.Description, stale uint64) string {
	camera, scene := sceneOf(frame)
	newer := ""
	for _, d := range finals {
		if d.Error != "" {
			continue
		}
		if d.FrameID == frame {
			return "described again by " + strings.TrimPrefix(d.Model, "sim-")
		}
		if c, s := sceneOf(d.FrameID); c == camera && s > scene && newer == "" {
			newer = d.FrameID
		}
	}
	switch {
	case stale > 0:
		return "stale (counted)"
	case newer != "":
		return "superseded by " + newer
	}
	return "lost"
}

// percentile is the p-th percentile (nearest rank) of ds, 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// efficiency compares each row with the one with the fewest hosts.
func (r *Report) efficiency() {
	if len(r.Rows) == 0 {
		return
	}
	base := r.Rows[0]
	for _, row := range r.Rows {
		if row.Hosts < base.Hosts {
			base = row
		}
	}
	perHost := base.Throughput / float64(base.Hosts)
	for i := range r.Rows {
		if perHost > 0 {
			r.Rows[i].Efficiency = r.Rows[i].Throughput / (float64(r.Rows[i].Hosts) * perHost)
		}
	}
}

// WriteMarkdown writes the report as a markdown table, with how it was made and the capacity
// plan it implies.
func (r Report) WriteMarkdown(w io.Writer) error {
	c := r.Config
	var b strings.Builder
	server := "one NATS server"
	switch {
	case c.Cluster > 1:
		server = fmt.Sprintf("a cluster of %d NATS nodes (cameras on node 1, host i on node i+1)", c.Cluster)
	case c.NATS != "":
		server = "the NATS server given"
	}
	fmt.Fprintf(&b, "SIMULATED models (fixed latency %s), %d synthetic cameras each changing every %s on average, %s after a %s warm-up, hosts sharing frames by %s, --max-age %s, %s.\n\n",
		latencies(c), c.Cameras, c.ChangeEvery, c.Duration, c.Warmup, c.Mode, max(0, c.MaxAge), server)
	b.WriteString("| hosts | described/s | × one host | scaling efficiency | scene changes | lost | cameras that lost any | reaction p50 | reaction p99 | CPU per frame | described per host |\n")
	b.WriteString("| ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %d | %.2f | %.2f× | %.1f %% | %d | %d | %s | %s | %s | %s | %s |\n",
			row.Hosts, row.Throughput, row.Efficiency*float64(row.Hosts), 100*row.Efficiency, row.Changes, row.Lost,
			lostCameras(row.LostPerCamera), ms(row.ReactionP50), ms(row.ReactionP99), ms(row.CPUPerFrame), perHost(row.PerHost))
	}
	b.WriteString("\nCounted by the hosts (at the end, a killed host's counts lost with it): ")
	for i, row := range r.Rows {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d host(s): %d stale (older than --max-age when taken), %d redelivered, %d of the %d lost changes made in the window's last --max-age", row.Hosts, row.Stale, row.Redelivered, row.LostLate, row.Lost)
	}
	b.WriteString(".\n")
	for _, row := range r.Rows {
		if row.Killed != "" {
			fmt.Fprintf(&b, "\nWith %d hosts, host1 was killed (SIGKILL) while its model worked on frame %s: %s; the surviving hosts counted %d redelivered and %d stale.\n",
				row.Hosts, row.Killed, row.KilledOutcome, row.Redelivered, row.Stale)
		}
	}
	b.WriteString("\n" + r.Capacity() + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Capacity is the capacity plan the figures imply: frames per second per host, and hosts
// needed for the cameras at their change rate.
func (r Report) Capacity() string {
	if len(r.Rows) == 0 {
		return ""
	}
	top := r.Rows[len(r.Rows)-1]
	perHost := top.Throughput / float64(top.Hosts)
	if perHost <= 0 {
		return "No description was measured: no capacity plan."
	}
	changes := float64(r.Config.Cameras) / r.Config.ChangeEvery.Seconds()
	if capacity := float64(top.Hosts) / r.Config.Latency.Seconds(); changes < capacity {
		return fmt.Sprintf("No capacity plan from this run: the cameras made %.1f changes/s, below what %d hosts can describe (%.1f/s), so the hosts waited for work and frames/s per host measures demand, not capacity. Run with more cameras, more frequent changes or fewer hosts.",
			changes, top.Hosts, capacity)
	}
	need := int(math.Ceil(changes / perHost))
	return fmt.Sprintf("Capacity: one host whose model takes %s per frame describes %.2f frames/s here (%.0f %% of 1/latency with %d hosts). "+
		"Hosts needed = cameras × changes per camera per second ÷ frames/s per host, rounded up: these %d cameras changing every %s make %.1f changes/s, so %d hosts keep up. "+
		"With fewer, no camera is starved (each camera's newest frame waits its turn) but a change waits longer, up to about cameras × latency ÷ hosts, and changes in between are superseded; "+
		"with more, reaction falls towards the model's latency.",
		latencies(r.Config), perHost, 100*perHost*r.Config.Latency.Seconds(), top.Hosts, r.Config.Cameras, r.Config.ChangeEvery, changes, need)
}

func latencies(c Config) string {
	if len(c.Latencies) == 0 {
		return c.Latency.String()
	}
	var s []string
	for _, l := range c.Latencies {
		s = append(s, l.String())
	}
	return strings.Join(s, ", ")
}

func ms(d time.Duration) string {
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func lostCameras(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	var s []string
	for cam, n := range m {
		s = append(s, fmt.Sprintf("%s: %d", cam, n))
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

func perHost(m map[string]int) string {
	var s []string
	for h, n := range m {
		s = append(s, fmt.Sprintf("%s %d", h, n))
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
