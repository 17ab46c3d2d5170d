package lint

import (
	"encoding/json"
	"io"
	"path"
	"sort"
	"strings"
)

// SARIF 2.1.0 (https://docs.oasis-open.org/sarif/sarif/v2.1.0/): the subset
// code-scanning tools read.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	ShortDescription     sarifText    `json:"shortDescription"`
	DefaultConfiguration sarifConfig  `json:"defaultConfiguration"`
	Help                 *sarifText   `json:"help,omitempty"`
	Properties           *sarifRuleMD `json:"properties,omitempty"`
}

type sarifRuleMD struct {
	Tags []string `json:"tags,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical       `json:"physicalLocation"`
	LogicalLocations []sarifLogicalPlace `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifLogicalPlace struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind,omitempty"`
}

func sarifLevel(s Severity) string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// WriteSARIF prints results as one SARIF 2.1.0 log with a run for lade.
// Locations are files relative to the working directory (chart path joined
// with the message path); object and field become a logical location.
func WriteSARIF(w io.Writer, results []*Result, toolVersion string) error {
	ruleIdx := map[string]int{}
	var ruleList []sarifRule
	known := map[string]RuleInfo{}
	for _, r := range Rules() {
		known[r.ID] = r
	}
	var ids []string
	seen := map[string]bool{}
	for _, r := range results {
		for _, m := range r.Messages {
			if !seen[m.Rule] {
				seen[m.Rule] = true
				ids = append(ids, m.Rule)
			}
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		info, ok := known[id]
		rule := sarifRule{ID: id, ShortDescription: sarifText{Text: id}, DefaultConfiguration: sarifConfig{Level: "warning"}}
		if ok {
			rule.ShortDescription = sarifText{Text: info.Why}
			rule.DefaultConfiguration.Level = sarifLevel(info.Severity)
			rule.Help = &sarifText{Text: info.Why}
		}
		ruleIdx[id] = len(ruleList)
		ruleList = append(ruleList, rule)
	}
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "lade", Version: toolVersion,
			InformationURI: "https://github.com/lade-dev/lade",
			Rules:          ruleList,
		}},
		Results: []sarifResult{},
	}
	if run.Tool.Driver.Rules == nil {
		run.Tool.Driver.Rules = []sarifRule{}
	}
	for _, r := range results {
		for _, m := range r.Messages {
			uri := sarifURI(r.Path, m.Path)
			res := sarifResult{
				RuleID: m.Rule, RuleIndex: ruleIdx[m.Rule], Level: sarifLevel(m.Severity),
				Message:   sarifText{Text: m.Text},
				Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}}},
			}
			if m.Line > 0 {
				res.Locations[0].PhysicalLocation.Region = &sarifRegion{StartLine: m.Line}
			}
			if m.Object != "" {
				name := m.Object
				if m.Field != "" {
					name += "." + m.Field
				}
				res.Locations[0].LogicalLocations = []sarifLogicalPlace{{FullyQualifiedName: name, Kind: "object"}}
			}
			run.Results = append(run.Results, res)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Version: sarifVersion, Schema: sarifSchema, Runs: []sarifRun{run}})
}

func sarifURI(chartPath, msgPath string) string {
	cp := strings.ReplaceAll(chartPath, "\\", "/")
	switch {
	case msgPath == "":
		return cp
	case path.IsAbs(msgPath) || strings.HasPrefix(msgPath, "/"):
		return msgPath
	}
	return path.Join(cp, msgPath)
}
