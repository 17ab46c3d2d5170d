package crdcheck

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func rules(r *Result) []Rule {
	var out []Rule
	for _, p := range r.Problems {
		out = append(out, p.Rule)
	}
	return out
}

func TestImmutableFields(t *testing.T) {
	v1 := ver("v1", true, true, widgetSchema(nil, ""))
	live := widgetCRD(t, "Namespaced", v1)
	for _, c := range []struct {
		name  string
		edit  func(next *CRD)
		field string
	}{
		{"scope", func(n *CRD) { n.Spec.Scope = "Cluster" }, `spec.scope changes from "Namespaced" to "Cluster"`},
		{"group", func(n *CRD) { n.Spec.Group = "example.org" }, `spec.group changes from "example.com" to "example.org"`},
		{"plural", func(n *CRD) { n.Spec.Names.Plural = "gadgets" }, `spec.names.plural changes from "widgets" to "gadgets"`},
		{"kind", func(n *CRD) { n.Spec.Names.Kind = "Gadget" }, `spec.names.kind changes from "Widget" to "Gadget"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			next := live.DeepCopy()
			c.edit(next)
			r, err := Check(context.Background(), live, next, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Problems) != 1 || r.Problems[0].Rule != RuleImmutable || !strings.Contains(r.Problems[0].Message, c.field) {
				t.Fatalf("problems %+v, want one %s naming %q", r.Problems, RuleImmutable, c.field)
			}
			err = Refusal([]*Result{r})
			if !errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), "CustomResourceDefinition widgets.example.com: update: refused") {
				t.Fatalf("refusal error: %v", err)
			}
		})
	}
}

func TestDroppedStoredVersion(t *testing.T) {
	s := widgetSchema(nil, "")
	live := widgetCRD(t, "Namespaced", ver("v1beta1", true, false, s), ver("v1", true, true, s))
	live.Status.StoredVersions = []string{"v1beta1", "v1"}
	next := widgetCRD(t, "Namespaced", ver("v1", true, true, s))
	r, err := Check(context.Background(), live, next, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rules(r); len(got) != 1 || got[0] != RuleStoredVersionDropped || r.Problems[0].Version != "v1beta1" {
		t.Fatalf("problems %+v", r.Problems)
	}
	if !strings.Contains(r.Problems[0].Message, "version v1beta1 is dropped, but it is in the live status.storedVersions") {
		t.Errorf("message: %s", r.Problems[0].Message)
	}
	// Not stored any more (storage migrated): dropping it is fine.
	live.Status.StoredVersions = []string{"v1"}
	if r, _ := Check(context.Background(), live, next, Options{}); r.Refused() {
		t.Fatalf("refused a version no longer stored: %+v", r.Problems)
	}
}

func TestUnchangedWhenOnlyDefaultsDiffer(t *testing.T) {
	live := widgetCRD(t, "Namespaced", ver("v1", true, true, widgetSchema(nil, "")))
	// What the API server returns: conversion defaulted.
	live.Spec.Conversion = &ConversionNone
	next := widgetCRD(t, "Namespaced", ver("v1", true, true, widgetSchema(nil, "")))
	r, err := Check(context.Background(), live, next, Options{})
	if err != nil || r.Change != Unchanged || r.Refused() {
		t.Fatalf("change %s, problems %+v, err %v", r.Change, r.Problems, err)
	}
	if r, _ := Check(context.Background(), nil, next, Options{}); r.Change != Create {
		t.Fatalf("no live definition: change %s", r.Change)
	}
}

func TestPlanListsOnlyWhatCanBreak(t *testing.T) {
	s := widgetSchema(nil, "")
	stricter := widgetSchema([]string{"size"}, "")
	for _, c := range []struct {
		name       string
		live, next []string
		webhook    bool
		passes     []string // source version and its targets, "src:t1,t2"
		unserved   []string
	}{
		{"same schema", []string{ver("v1", true, true, s)}, []string{ver("v1", true, true, s)}, false, nil, nil},
		{"schema changed", []string{ver("v1", true, true, s)}, []string{ver("v1", true, true, stricter)}, false, []string{"v1:v1"}, nil},
		{"new version, one listing", []string{ver("v1", true, true, s)}, []string{ver("v1", true, false, s), ver("v2", true, true, stricter)}, false, []string{"v1:v2"}, nil},
		{"unserved, same schema as storage", []string{ver("v1beta1", true, false, s), ver("v1", true, true, s)}, []string{ver("v1beta1", false, false, s), ver("v1", true, true, s)}, false, nil, nil},
		{"unserved, other schema", []string{ver("v1beta1", true, false, stricter), ver("v1", true, true, s)}, []string{ver("v1beta1", false, false, stricter), ver("v1", true, true, s)}, false, []string{"v1:"}, []string{"v1beta1"}},
		{"webhook: each version at itself", []string{ver("v1beta1", true, false, s), ver("v1", true, true, s)}, []string{ver("v1beta1", true, false, stricter), ver("v1", true, true, stricter), ver("v2", true, false, stricter)}, true, []string{"v1beta1:v1beta1", "v1:v1"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			live, next := widgetCRD(t, "Namespaced", c.live...), widgetCRD(t, "Namespaced", c.next...)
			if c.webhook {
				next.Spec.Conversion = &ConversionWebhook
			}
			validators := map[string]*validator{}
			for _, v := range next.Spec.Versions {
				val, err := newValidator(v.Schema.OpenAPIV3Schema)
				if err != nil {
					t.Fatal(err)
				}
				validators[v.Name] = val
			}
			p := plan(live, next, validators)
			var got []string
			var unserved []string
			for _, ps := range p.passes {
				var ts []string
				for _, tg := range ps.targets {
					ts = append(ts, tg.version)
				}
				got = append(got, ps.source+":"+strings.Join(ts, ","))
				unserved = append(unserved, ps.unserved...)
			}
			if strings.Join(got, " ") != strings.Join(c.passes, " ") || strings.Join(unserved, " ") != strings.Join(c.unserved, " ") {
				t.Fatalf("passes %v unserved %v, want %v %v", got, unserved, c.passes, c.unserved)
			}
			if c.webhook && (len(p.notes) != 1 || !strings.Contains(p.notes[0], "version v2: existing objects not checked")) {
				t.Errorf("notes %v", p.notes)
			}
		})
	}
}

func TestNoClientChecksDefinitionsOnly(t *testing.T) {
	live := widgetCRD(t, "Namespaced", ver("v1", true, true, widgetSchema(nil, "")))
	next := widgetCRD(t, "Namespaced", ver("v1", true, true, widgetSchema([]string{"size"}, "")))
	r, err := Check(context.Background(), live, next, Options{})
	if err != nil || r.Refused() {
		t.Fatalf("problems %+v err %v", r.Problems, err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "existing objects not checked") {
		t.Fatalf("warnings %v", r.Warnings)
	}
}

func TestNotStructuralRefused(t *testing.T) {
	bad := `
        openAPIV3Schema:
          type: object
          properties:
            spec: {description: no type}`
	next := widgetCRD(t, "Namespaced", ver("v1", true, true, bad))
	r, err := Check(context.Background(), nil, next, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 || r.Problems[0].Rule != RuleNotStructural || !strings.Contains(r.Problems[0].Message, "properties[spec].type: Required value") {
		t.Fatalf("problems %+v", r.Problems)
	}
}
