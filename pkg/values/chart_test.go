package values

import (
	"fmt"
	"strings"
	"testing"
)

// chartResult runs the engine's sequence on a test chart: options merge,
// ProcessDependencies, CoalesceValues.
func chartResult(t *testing.T, dir string, opts Options, skip bool) (got, errText string, logs []string, processed string) {
	t.Helper()
	c := loadChart(t, chartsDir+"/"+dir)
	vals, err := opts.MergeValues()
	if err != nil {
		t.Fatalf("merging options: %v", err)
	}
	var rec logRecorder
	lg := WithLogger(rec.logger())
	var out map[string]any
	if err = ProcessDependencies(c, vals, lg); err != nil {
		err = fmt.Errorf("chart dependencies processing failed: %w", err)
	} else {
		out, err = CoalesceValues(c, vals, lg, SkipSchemaValidation(skip))
	}
	if err != nil {
		return "", err.Error(), rec.lines(), tree(c)
	}
	return dump(out), "", rec.lines(), tree(c)
}

type chartCase struct {
	name  string
	chart string
	opts  Options
	skip  bool
	want  string   // dump of the values
	err   string   // or the error
	logs  []string // sorted log lines, as Helm's CLI prints them
	tree  string   // if set, the processed chart tree
}

func runChartCases(t *testing.T, tests []chartCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.chart == "" {
				tt.chart = "schema"
			}
			got, errText, logs, processed := chartResult(t, tt.chart, tt.opts, tt.skip)
			rec := tt.opts
			record(oracleCase{Kind: "chart", Name: t.Name(), Chart: chartsDir + "/" + tt.chart, Opts: &rec, Skip: tt.skip,
				Got: got, Err: errText, Logs: logs, Tree: processed})
			if errText != tt.err {
				t.Fatalf("error = %q\nwant    %q", errText, tt.err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if strings.Join(logs, "\n") != strings.Join(tt.logs, "\n") {
				t.Errorf("logs:\n%s\nwant:\n%s", strings.Join(logs, "\n"), strings.Join(tt.logs, "\n"))
			}
			if tt.tree != "" && processed != tt.tree {
				t.Errorf("tree:\n%swant:\n%s", processed, tt.tree)
			}
		})
	}
}

func set(s ...string) Options { return Options{Values: s} }

// TestCoalesce covers coalescing of defaults, parent values, nulls and
// globals. Expectations are Helm v4.3.1's (checked with the oracle harness).
func TestCoalesce(t *testing.T) {
	runChartCases(t, []chartCase{
		{name: "defaults", chart: "basic", want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu"}, "list": [float64(1), float64(2)], "name": "root", "sub": {"fromParent": "p", "global": {"nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "nullme": "fromsub", "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "val": float64(1)}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}, "keep": float64(1)}}`},
		{name: "user null deletes defaults", chart: "basic", opts: set("table.keep=null,name=null,sub.override=null,sub.subsub.val=null"), want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu"}, "list": [float64(1), float64(2)], "sub": {"fromParent": "p", "global": {"nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}}}`},
		{name: "user null for unknown key stays", chart: "basic", opts: set("unknown=null,table.unknown=null"), want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu"}, "list": [float64(1), float64(2)], "name": "root", "sub": {"fromParent": "p", "global": {"nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "nullme": "fromsub", "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "val": float64(1)}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}, "keep": float64(1), "unknown": null}, "unknown": null}`},
		{name: "user null deletes a whole table", chart: "basic", opts: set("table=null,sub.tbl=null"), want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu"}, "list": [float64(1), float64(2)], "name": "root", "sub": {"fromParent": "p", "global": {"nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "val": float64(1)}}}`},
		{name: "user scalar over table", chart: "basic", opts: set("table=flat,sub.nested=flat"), want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu"}, "list": [float64(1), float64(2)], "name": "root", "sub": {"fromParent": "p", "global": {"nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "nested": "flat", "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "val": float64(1)}, "tbl": "scalar"}, "table": "flat"}`, logs: []string{`level=INFO msg="warning: cannot overwrite table with non table for basic.sub.nested (map[fromParent:1])"`}},
		{name: "user table over scalar", chart: "basic", opts: set("name.x=1,sub.subOnly.y=2"), want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu"}, "list": [float64(1), float64(2)], "name": {"x": int64(1)}, "sub": {"fromParent": "p", "global": {"nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "override": "parent", "subOnly": {"y": int64(2)}, "subsub": {"fromSub": true, "global": {"deep": "d", "nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "val": float64(1)}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}, "keep": float64(1)}}`, logs: []string{`level=INFO msg="warning: skipped value for basic.name: Not a table."`, `level=INFO msg="warning: skipped value for basic.sub.subOnly: Not a table."`}},
		{name: "globals flow down and merge", chart: "basic", opts: set("global.region=cli,global.nested.a=9,global.added=1"), want: `{"global": {"added": int64(1), "nested": {"a": int64(9), "b": float64(2)}, "region": "cli"}, "list": [float64(1), float64(2)], "name": "root", "sub": {"fromParent": "p", "global": {"added": int64(1), "nested": {"a": int64(9), "b": float64(2), "c": float64(30)}, "region": "cli", "subGlobal": "sg"}, "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "nullme": "fromsub", "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"added": int64(1), "deep": "d", "nested": {"a": int64(9), "b": float64(2), "c": float64(30)}, "region": "cli", "subGlobal": "sg"}, "val": float64(1)}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}, "keep": float64(1)}}`},
		{name: "subchart global set by user", chart: "basic", opts: set("sub.global.region=sub-user,sub.global.only=1,sub.subsub.global.deep=x"), want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu"}, "list": [float64(1), float64(2)], "name": "root", "sub": {"fromParent": "p", "global": {"nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "only": int64(1), "region": "eu", "subGlobal": "sg"}, "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "x", "nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "only": int64(1), "region": "eu", "subGlobal": "sg"}, "val": float64(1)}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}, "keep": float64(1)}}`},
		{name: "global not a table", chart: "basic", opts: set("global=flat"), want: `{"global": "flat", "list": [float64(1), float64(2)], "name": "root", "sub": {"fromParent": "p", "global": {"nested": {"b": float64(20), "c": float64(30)}, "region": "us", "subGlobal": "sg"}, "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "nullme": "fromsub", "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "nested": {"b": float64(20), "c": float64(30)}, "region": "us", "subGlobal": "sg"}, "val": float64(1)}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}, "keep": float64(1)}}`, logs: []string{`level=INFO msg="warning: skipping globals because source global is not a table."`}},
		{name: "subchart global not a table", chart: "basic", opts: set("sub.global=flat"), want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu"}, "list": [float64(1), float64(2)], "name": "root", "sub": {"fromParent": "p", "global": "flat", "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "region": "subsub"}, "val": float64(1)}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}, "keep": float64(1)}}`, logs: []string{`level=INFO msg="warning: skipping globals because destination global is not a table."`, `level=INFO msg="warning: skipping globals because source global is not a table."`}},
		{name: "global table onto subchart scalar", chart: "basic", opts: set("global.subGlobal.x=1"), want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu", "subGlobal": {"x": int64(1)}}, "list": [float64(1), float64(2)], "name": "root", "sub": {"fromParent": "p", "global": {"nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": {"x": int64(1)}}, "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "nullme": "fromsub", "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": {"x": int64(1)}}, "val": float64(1)}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}, "keep": float64(1)}}`, logs: []string{`level=INFO msg="warning: destination for basic.sub.global.subGlobal is a table. Ignoring non-table value (sg)"`}},
		{name: "global scalar onto subchart table", chart: "basic", opts: set("global.nested=flat"), want: `{"global": {"nested": "flat", "region": "eu"}, "list": [float64(1), float64(2)], "name": "root", "sub": {"fromParent": "p", "global": {"nested": "flat", "region": "eu", "subGlobal": "sg"}, "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "nullme": "fromsub", "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "nested": "flat", "region": "eu", "subGlobal": "sg"}, "val": float64(1)}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}, "keep": float64(1)}}`, logs: []string{`level=INFO msg="warning: cannot overwrite table with non table for basic.global.nested (map[a:1 b:2])"`, `level=INFO msg="warning: cannot overwrite table with non table for basic.sub.global.nested (map[b:20 c:30])"`}},
		{name: "subchart values not a table", chart: "basic", opts: set("sub=3"), err: `type mismatch on sub: %!t(int64=3)`},
		{name: "subchart values null", chart: "basic", opts: set("sub=null"), want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu"}, "list": [float64(1), float64(2)], "name": "root", "sub": {"global": {"nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "nested": {"fromSub": float64(2)}, "nullme": "fromsub", "override": "sub", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "val": float64(1)}, "tbl": {"x": float64(1)}}, "table": {"inner": {"a": float64(1)}, "keep": float64(1)}}`},
		{name: "lists replace", chart: "basic", opts: set("list={9},sub.list[1]=x"), want: `{"global": {"nested": {"a": float64(1), "b": float64(2)}, "region": "eu"}, "list": [int64(9)], "name": "root", "sub": {"fromParent": "p", "global": {"nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "list": [null, "x"], "nested": {"fromParent": float64(1), "fromSub": float64(2)}, "override": "parent", "subOnly": "s", "subsub": {"fromSub": true, "global": {"deep": "d", "nested": {"a": float64(1), "b": float64(2), "c": float64(30)}, "region": "eu", "subGlobal": "sg"}, "val": float64(1)}, "tbl": "scalar"}, "table": {"inner": {"a": float64(1)}, "keep": float64(1)}}`},
		// Helm copies the parent's global tables into a subchart only one level
		// deep, so subchart defaults merged into deeper tables leak back into the
		// parent's globals and into later siblings.
		{name: "nested globals leak upwards", chart: "globals", want: `{"first": {"global": {"firstOnly": float64(1), "flat": "root", "image": {"pull": {"inner": true, "policy": "Always", "secrets": ["first-secret"]}, "registry": "root.io", "tag": "first"}}, "inner": {"global": {"firstOnly": float64(1), "flat": "root", "image": {"pull": {"inner": true, "policy": "Always", "secrets": ["first-secret"]}, "registry": "root.io", "tag": "first"}, "innerOnly": float64(1)}}}, "global": {"flat": "root", "image": {"pull": {"inner": true, "policy": "Always", "secrets": ["first-secret"]}, "registry": "root.io"}}, "second": {"global": {"flat": "root", "image": {"digest": "second", "pull": {"inner": true, "policy": "Always", "secrets": ["first-secret"]}, "registry": "root.io"}}}}`},
		{name: "nested globals with user values", chart: "globals", opts: set("global.image.pull.policy=IfNotPresent,first.global.image.pull.user=1"), want: `{"first": {"global": {"firstOnly": float64(1), "flat": "root", "image": {"pull": {"inner": true, "policy": "IfNotPresent", "secrets": ["first-secret"], "user": int64(1)}, "registry": "root.io", "tag": "first"}}, "inner": {"global": {"firstOnly": float64(1), "flat": "root", "image": {"pull": {"inner": true, "policy": "IfNotPresent", "secrets": ["first-secret"], "user": int64(1)}, "registry": "root.io", "tag": "first"}, "innerOnly": float64(1)}}}, "global": {"flat": "root", "image": {"pull": {"inner": true, "policy": "IfNotPresent", "secrets": ["first-secret"], "user": int64(1)}, "registry": "root.io"}}, "second": {"global": {"flat": "root", "image": {"digest": "second", "pull": {"inner": true, "policy": "IfNotPresent", "secrets": ["first-secret"], "user": int64(1)}, "registry": "root.io"}}}}`},
	})
}

// TestProcessDependencies covers conditions, tags, aliases, removal of
// disabled subcharts and import-values. Values, processed trees and warnings
// are Helm v4.3.1's (checked with the oracle harness).
func TestProcessDependencies(t *testing.T) {
	runChartCases(t, []chartCase{
		{name: "defaults", chart: "deps", want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child"}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "condition false", chart: "deps", opts: set("a.enabled=false"), want: `{"a": {"enabled": false}, "b": {"fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child"}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "first condition that is a bool wins", chart: "deps", opts: set("a.enabled=maybe,global.a.enabled=false"), want: `{"a": {"enabled": "maybe"}, "b": {"fromB": float64(1), "global": {"a": {"enabled": false}}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {"a": {"enabled": false}}}, "global": {"a": {"enabled": false}}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {"a": {"enabled": false}}}, "global": {"a": {"enabled": false}}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {"a": {"enabled": false}}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {"a": {"enabled": false}}}, "fromPlain": {"p": float64(1)}, "global": {"a": {"enabled": false}}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {"a": {"enabled": false}}}, "own": "value", "shared": "child"}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`, `level=WARN msg="returned non-bool value" path=a.enabled chart=a`}, tree: `deps [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "second condition used when first missing", chart: "deps", opts: set("a.enabled=null,global.a.enabled=false"), want: `{"a": {"enabled": null}, "b": {"fromB": float64(1), "global": {"a": {"enabled": false}}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {"a": {"enabled": false}}}, "global": {"a": {"enabled": false}}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {"a": {"enabled": false}}}, "global": {"a": {"enabled": false}}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {"a": {"enabled": false}}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {"a": {"enabled": false}}}, "fromPlain": {"p": float64(1)}, "global": {"a": {"enabled": false}}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {"a": {"enabled": false}}}, "own": "value", "shared": "child"}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "condition path to a table is not a value", chart: "deps", opts: set("a.enabled.x=1,global.a.enabled=false"), want: `{"a": {"enabled": {"x": int64(1)}}, "b": {"fromB": float64(1), "global": {"a": {"enabled": false}}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {"a": {"enabled": false}}}, "global": {"a": {"enabled": false}}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {"a": {"enabled": false}}}, "global": {"a": {"enabled": false}}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {"a": {"enabled": false}}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {"a": {"enabled": false}}}, "fromPlain": {"p": float64(1)}, "global": {"a": {"enabled": false}}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {"a": {"enabled": false}}}, "own": "value", "shared": "child"}`, logs: []string{`level=INFO msg="warning: skipped value for deps.a.enabled: Not a table."`, `level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "tag false disables", chart: "deps", opts: set("tags.front=false"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child", "tags": {"front": false}}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "any true tag enables", chart: "deps", opts: set("tags.front=false,tags.back=true"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child", "tags": {"back": true, "front": false}}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "non-bool tag warns", chart: "deps", opts: set("tags.front=no,tags.back=false"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child", "tags": {"back": false, "front": "no"}}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`, `level=WARN msg="returned non-bool value" tag=front chart=b`}, tree: `deps [a enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "condition beats tags", chart: "deps", opts: set("tags.front=false,b.enabled=true"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"enabled": true, "fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child", "tags": {"front": false}}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "condition false beats true tag", chart: "deps", opts: set("tags.front=true,b.enabled=false"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"enabled": false}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child", "tags": {"front": true}}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "tags reach nested subcharts", chart: "deps", opts: set("tags.deep=false"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child", "tags": {"deep": false}}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "nested condition", chart: "deps", opts: set("c1.cc.enabled=false"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": false}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child"}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  b
  c1
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "alias copies are independent", chart: "deps", opts: set("c1.x=one,c2.x=two,c2.cc.fromCC=2"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "one"}, "c2": {"cc": {"enabled": true, "fromCC": int64(2), "global": {}}, "global": {}, "x": "two"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child"}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "disable one alias", chart: "deps", opts: set("c2.enabled=false"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"enabled": false}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child"}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [b enabled=true] [c1 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  b
  c1 [cc enabled=true]
    cc
  d
`},
		{name: "unmatched version stays unaliased but obeys condition", chart: "deps", opts: set("old.enabled=false"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": false}, "own": "value", "shared": "child"}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]]
  extra
  a
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "user overrides imported values", chart: "deps", opts: set("exported=9,imported.more.m=user,fromPlain.p=user"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": int64(9), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": "user"}, "imported": {"more": {"fromParent": true, "m": "user"}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child"}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "user values under the subchart do not change imports", chart: "deps", opts: set("d.exports.data.exported=5"), want: `{"a": {"enabled": true, "fromA": float64(1), "global": {}}, "b": {"fromB": float64(1), "global": {}}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "parent-c1"}, "c2": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "global": {}, "x": "c-default"}, "d": {"exports": {"data": {"exported": int64(5), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"nil": null, "p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": true, "global": {}}, "own": "value", "shared": "child"}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [a enabled=true] [b enabled=true] [c1 enabled=true] [c2 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]] [old enabled=true]
  extra
  old
  a
  b
  c1 [cc enabled=true]
    cc
  c2 [cc enabled=true]
    cc
  d
`},
		{name: "all disabled", chart: "deps", opts: set("a.enabled=false,b.enabled=false,c2.enabled=false,tags.front=false,old.enabled=false,c1.enabled=false"), want: `{"a": {"enabled": false}, "b": {"enabled": false}, "c1": {"cc": {"enabled": true, "fromCC": float64(1), "global": {}}, "enabled": false, "global": {}, "x": "parent-c1"}, "c2": {"enabled": false}, "d": {"exports": {"data": {"exported": float64(1), "shared": "child"}, "more": {"m": float64(1)}}, "global": {}, "plain": {"p": float64(1)}}, "data": {"shared": "parent-wins"}, "exported": float64(1), "extra": {"extra": float64(1), "global": {}}, "fromPlain": {"p": float64(1)}, "imported": {"more": {"fromParent": true, "m": float64(1)}}, "old": {"enabled": false}, "own": "value", "shared": "child", "tags": {"front": false}}`, logs: []string{`level=WARN msg="ImportValues missing table from chart" chart=d error="\"missing\" is not a table"`, `level=WARN msg="ImportValues missing table" error="\"nothere\" is not a table"`}, tree: `deps [c1 enabled=true] [d enabled=true imports=[strings{"child": "exports.data", "parent": "."}, strings{"child": "exports.more", "parent": "imported.more"}, strings{"child": "plain", "parent": "fromPlain"}, strings{"child": "missing", "parent": "nowhere"}, strings{"child": "exports.nothere", "parent": "."}]]
  extra
  c1 [cc enabled=true]
    cc
  d
`},
		{name: "schema chart", chart: "schema", want: `{"child": {"enabled": true, "global": {"env": "prod"}, "size": float64(3)}, "image": {"repository": "nginx", "tag": "latest"}, "ports": [float64(80)], "replicas": float64(1)}`, tree: `schema [child enabled=true]
  child
`},
	})
}
