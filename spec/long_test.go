package spec

import "flag"

// long adds the larger models to the tests: `go test ./spec/ -spec.long`.
// CI runs them (.ci/run); the default keeps `go test ./spec/...` within a
// minute on two cores, with smaller bounds of the same models.
var long = flag.Bool("spec.long", false, "also check the larger models (a few minutes)")
