package main

import (
	"fmt"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/lade-dev/lade/pkg/render"
)

// limitFlags raise the limits that bound a render (docs/limits.md).
type limitFlags struct {
	l render.Limits
}

func (l *limitFlags) add(f *pflag.FlagSet) {
	l.l = render.DefaultLimits()
	f.Var(&byteFlag{&l.l.MaxRenderBytes}, "max-render-bytes", "largest output all templates together may render (bytes; suffixes Ki, Mi, Gi)")
	f.Var(&byteFlag{&l.l.MaxTemplateBytes}, "max-template-bytes", "largest string or list one template may build, its output included (bytes; suffixes Ki, Mi, Gi)")
	f.Var(&positiveInt{&l.l.MaxTemplateDepth}, "max-template-depth", "deepest nesting of include and tpl calls")
	f.Var(&positiveDuration{&l.l.Timeout}, "render-timeout", "time the templates may run (rendering only; --timeout bounds the cluster operations)")
	f.Var(&byteFlag{&l.l.MaxMemoryBytes}, "max-render-memory", "largest heap the lade process may reach while templates run (bytes; suffixes Ki, Mi, Gi)")
}

// byteFlag is a size in bytes, written as a Kubernetes quantity (64Mi).
type byteFlag struct{ v *int64 }

func (b *byteFlag) String() string {
	if b.v == nil {
		return ""
	}
	return resource.NewQuantity(*b.v, resource.BinarySI).String()
}

func (b *byteFlag) Set(s string) error {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("want a size in bytes such as 64Mi: %w", err)
	}
	n, ok := q.AsInt64()
	if !ok || n <= 0 {
		return fmt.Errorf("want a positive size in bytes such as 64Mi, got %q", s)
	}
	*b.v = n
	return nil
}

func (b *byteFlag) Type() string { return "bytes" }

type positiveInt struct{ v *int }

func (p *positiveInt) String() string {
	if p.v == nil {
		return ""
	}
	return fmt.Sprint(*p.v)
}

func (p *positiveInt) Set(s string) error {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil || n <= 0 || fmt.Sprint(n) != s {
		return fmt.Errorf("want a positive whole number, got %q", s)
	}
	*p.v = n
	return nil
}

func (p *positiveInt) Type() string { return "int" }

type positiveDuration struct{ v *time.Duration }

func (p *positiveDuration) String() string {
	if p.v == nil {
		return ""
	}
	return p.v.String()
}

func (p *positiveDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a positive duration such as 2m, got %q", s)
	}
	*p.v = d
	return nil
}

func (p *positiveDuration) Type() string { return "duration" }
