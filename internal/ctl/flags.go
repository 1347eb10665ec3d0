package ctl

import (
	"flag"
	"time"
)

// Purpose is `narrator ctl --help`'s text.
const Purpose = `Sends one control to a running narrator and prints its acknowledgement:
  describe              describe the newest frame now and say it
  read                  say in full the text read last (needs --read-text or --backend ocr)
  repeat                say the last utterance again
  pause | resume        stop narrating until resume (describe, repeat and ask resume)
  stop                  silence what is being said now
  ask "QUESTION"        ask about the current view; the answer is spoken first and printed
  verbosity up|down|short|normal|detailed
  rate up|down|WORDS    speak faster or slower (words per minute, 80-450)
  volume up|down|PERCENT  louder or quieter (10-200)
  help                  say the keys aloud
  status                print the mode, verbosity, pause state and prompt
Each command is acknowledged aloud by the narrator (docs/accessibility.md lists what is said).
The narrator must share a bus with ctl: start it with --listen 127.0.0.1:4222 (or both with --nats URL).`

// DefaultTimeout is how long ctl waits for the acknowledgement and the answer.
const DefaultTimeout = 15 * time.Second

// Flags are `narrator ctl`'s own options (the bus's are bus.Flags).
type Flags struct {
	Camera  string
	Timeout time.Duration
	JSON    bool
}

// Register adds ctl's flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Camera, "camera", "", "the camera to describe or ask about (default: the one heard from last)")
	fs.DurationVar(&f.Timeout, "timeout", DefaultTimeout, "how long to wait for the acknowledgement, and for the answer to ask or describe")
	fs.BoolVar(&f.JSON, "json", false, "print the reply (and the answer) as JSON lines")
}

// ParseArgs parses flags that may come before, between or after the command's words, and
// returns the words.
func ParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return words, nil
		}
		words = append(words, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
