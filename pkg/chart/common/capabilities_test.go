package common

import "testing"

func TestParseKubeVersion(t *testing.T) {
	for in, want := range map[string][3]string{
		"1.33":              {"v1.33", "1", "33"},
		"v1.33.0":           {"v1.33.0", "1", "33"},
		"v1.30.4-gke.12000": {"v1.30.4", "1", "30"},
	} {
		kv, err := ParseKubeVersion(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if kv.String() != want[0] || kv.Major != want[1] || kv.Minor != want[2] {
			t.Errorf("%s: got %s %s %s", in, kv.String(), kv.Major, kv.Minor)
		}
	}
	if _, err := ParseKubeVersion("banana"); err == nil {
		t.Fatal("banana parsed as a version")
	}
}
