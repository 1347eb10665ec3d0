package main

import (
	"github.com/narrator-dev/narrator/speech"
	"github.com/narrator-dev/narrator/web"
)

// webOptions serve the live web page (--web): a part of every pipeline command. Its flags are
// web.Flags.
type webOptions struct {
	web.Flags
	// speak is the command's speech part (nil when it has none): without a voice (--speech
	// none) captions follow the narrator's decisions instead.
	speak *speakOptions
	// busToken is the bus --token, the page's token beyond loopback without --web-token.
	busToken string
}

func (o *webOptions) Validate(c *common) error {
	o.busToken = c.Bus.Auth.Token
	return o.Flags.Validate(o.busToken)
}

func (o *webOptions) Build(e env) ([]stage, error) {
	captions := web.CaptionsFromSpeech
	if o.speak != nil && o.speak.Mode == speech.ModeNone {
		captions = web.CaptionsFromUtterances
	}
	s, err := o.Serve(e.Bus, o.busToken, captions, e.Counters, e.Log)
	if s == nil || err != nil {
		return nil, err
	}
	return []stage{s}, nil
}
