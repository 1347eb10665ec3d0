//go:build cgo && linux

package speech

/*
#cgo pkg-config: alsa jack
#include <alsa/asoundlib.h>
#include <jack/jack.h>
static void narrator_alsa_quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {}
static void narrator_jack_quiet(const char *msg) {}
static void narrator_quiet_probes(void) {
	snd_lib_error_set_handler(narrator_alsa_quiet);
	jack_set_error_function(narrator_jack_quiet);
	jack_set_info_function(narrator_jack_quiet);
}
*/
import "C"

import "os"

// quietALSA stops ALSA and JACK printing their probe errors (every card ALSA looks for and does
// not find, JACK's "server is not running") on stderr while PortAudio enumerates devices; real
// failures still come back as errors. It also keeps JACK from trying to start a server.
func quietALSA() {
	if _, ok := os.LookupEnv("JACK_NO_START_SERVER"); !ok {
		_ = os.Setenv("JACK_NO_START_SERVER", "1")
	}
	C.narrator_quiet_probes()
}
