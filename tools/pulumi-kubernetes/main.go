// The provider's own cmd/pulumi-resource-kubernetes/main.go, in a module of ours: that command
// embeds schema-embed.json and terraform-mapping-embed.json, which its `go generate` (generate.go)
// writes from schema.json / terraform-mapping.json and which are not in the module zip.
// scripts/build-cluster-tools.sh copies this folder and those two files from the Go module cache
// to a temporary folder, runs the provider's generate.go there (VERSION set) and builds.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
