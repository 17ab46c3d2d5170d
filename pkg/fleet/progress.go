package fleet

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-runewidth"
	"golang.org/x/term"
)

// Progress shows what the engine does, release by release: on a terminal a
// table redrawn in place (one line per release: state, elapsed time,
// detail; refreshed every second), otherwise one plain line per change.
// Give its Observe to Engine.Observe and Close it when done.
type Progress struct {
	mu    sync.Mutex
	out   io.Writer
	tty   bool
	fd    int
	rows  map[Key]Event
	keys  []Key // in order of appearance
	lines int   // of the frame on screen
	stop  chan struct{}
	now   func() time.Time
}

// NewProgress returns a progress view writing to w.
func NewProgress(w io.Writer) *Progress {
	p := &Progress{out: w, rows: map[Key]Event{}, now: time.Now}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.fd = true, int(f.Fd())
		p.stop = make(chan struct{})
		go p.tick()
	}
	return p
}

func (p *Progress) tick() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// Observe records ev and shows it.
func (p *Progress) Observe(ev Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.rows[ev.Key]; !ok {
		p.keys = append(p.keys, ev.Key)
	}
	p.rows[ev.Key] = ev
	if p.tty {
		p.draw()
		return
	}
	line := fmt.Sprintf("%s: %s", ev.Key, ev.State)
	if ev.State.Final() || ev.State == StatePlanned {
		line += " after " + ev.At.Sub(ev.Since).Round(100*time.Millisecond).String()
	}
	if ev.Detail != "" {
		line += " (" + firstLine(ev.Detail) + ")"
	}
	fmt.Fprintln(p.out, line)
}

// Reset forgets the releases shown (between planning and applying): the
// next event starts a new table below the last one.
func (p *Progress) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rows, p.keys, p.lines = map[Key]Event{}, nil, 0
}

// Close stops refreshing the table, leaving its last state on screen.
func (p *Progress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop != nil {
		close(p.stop)
		p.stop = nil
		p.draw()
	}
}

// draw replaces the frame on screen.
func (p *Progress) draw() {
	if len(p.keys) == 0 {
		return
	}
	height, width := 24, 80
	if w, h, err := term.GetSize(p.fd); err == nil && w > 0 && h > 0 {
		height, width = h, w
	}
	var b strings.Builder
	if p.lines > 0 {
		fmt.Fprintf(&b, "\r\x1b[%dA\x1b[J", p.lines)
	}
	lines := p.frame(height-1, width-1)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	fmt.Fprint(p.out, b.String())
	p.lines = len(lines)
}

// frame lays the releases out in at most maxLines lines of maxWidth
// cells: those still in progress first when not all fit, then the
// finished ones, and a line counting what was left out.
func (p *Progress) frame(maxLines, maxWidth int) []string {
	maxLines = max(maxLines, 2)
	shown := p.keys
	hidden := 0
	if len(shown) > maxLines {
		var busy, final []Key
		for _, k := range p.keys {
			if p.rows[k].State.Final() {
				final = append(final, k)
			} else {
				busy = append(busy, k)
			}
		}
		room := maxLines - 1
		shown = append(busy, final...)[:room]
		hidden = len(p.keys) - room
	}
	wk, ws := len("RELEASE"), len("STATE")
	for _, k := range shown {
		wk = max(wk, len(k.String()))
		ws = max(ws, len(p.rows[k].State))
	}
	now := p.now()
	var lines []string
	for _, k := range shown {
		ev := p.rows[k]
		end := now
		if ev.State.Final() || ev.State == StatePlanned {
			end = ev.At
		}
		el := end.Sub(ev.Since).Round(time.Second)
		l := fmt.Sprintf("%-*s  %-*s  %5s  %s", wk, k, ws, ev.State, el, firstLine(ev.Detail))
		lines = append(lines, fitWidth(strings.TrimRight(l, " "), maxWidth))
	}
	if hidden > 0 {
		lines = append(lines, fmt.Sprintf("... and %d more", hidden))
	}
	return lines
}

// fitWidth cuts s to width terminal cells so that no line wraps (which
// would break moving the cursor back over the frame).
func fitWidth(s string, width int) string {
	if runewidth.StringWidth(s) <= width {
		return s
	}
	return runewidth.Truncate(s, width, "...")
}
