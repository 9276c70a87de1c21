// atlantis-check loads a repo-level atlantis.yaml with Atlantis's own config parser and
// validator (server/core/config.ParserValidator), against a server-side repo config, and prints
// "OK ..." or the parser's error (exit 1). Usage errors exit 2.
//
//	atlantis-check [-repos-config FILE] [-repo-id ID] [-branch NAME] PATH
//
// PATH is a repository directory (its atlantis.yaml is read), an atlantis.yaml file, or "-" for
// standard input. Without -repos-config, the server-side config is repos.yaml next to this file
// (embedded at build time): custom workflows allowed, allowed_overrides workflow and the
// plan/apply/import requirements.
package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/runatlantis/atlantis/server/core/config"
	"github.com/runatlantis/atlantis/server/core/config/valid"
)

//go:embed repos.yaml
var defaultReposConfig []byte

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("atlantis-check", flag.ContinueOnError)
	flags.SetOutput(stderr)
	reposConfig := flags.String("repos-config", "", "server-side repo config YAML (default: the embedded repos.yaml)")
	repoID := flags.String("repo-id", "github.com/example/repo", "repository id the server-side config is matched against")
	branch := flags.String("branch", "", "base branch of the pull request (filters projects with branch regexes)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: atlantis-check [-repos-config FILE] [-repo-id ID] [-branch NAME] PATH|-")
		return 2
	}
	parser := &config.ParserValidator{}
	globalCfg, err := loadGlobalCfg(parser, *reposConfig)
	if err != nil {
		fmt.Fprintf(stderr, "server-side config: %v\n", err)
		return 2
	}
	repoCfg, err := parseRepoCfg(parser, flags.Arg(0), stdin, globalCfg, *repoID, *branch)
	if err != nil {
		fmt.Fprintf(stdout, "ERROR: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "OK: version %d, %d projects, %d workflows\n", repoCfg.Version, len(repoCfg.Projects), len(repoCfg.Workflows))
	return 0
}

// loadGlobalCfg parses the server-side repo config the way the Atlantis server does
// (--repo-config), over Atlantis's built-in defaults.
func loadGlobalCfg(parser *config.ParserValidator, path string) (valid.GlobalCfg, error) {
	defaults := valid.NewGlobalCfgFromArgs(valid.GlobalCfgArgs{})
	if path != "" {
		return parser.ParseGlobalCfg(path, defaults)
	}
	file, err := os.CreateTemp("", "atlantis-repos-*.yaml")
	if err != nil {
		return valid.GlobalCfg{}, err
	}
	defer os.Remove(file.Name())
	_, err = file.Write(defaultReposConfig)
	if closeErr := file.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return valid.GlobalCfg{}, err
	}
	return parser.ParseGlobalCfg(file.Name(), defaults)
}

// parseRepoCfg reads the repo config as the server does: ParseRepoCfg on the repository
// directory when the file has the name the server looks for, ParseRepoCfgData otherwise.
func parseRepoCfg(parser *config.ParserValidator, path string, stdin io.Reader, globalCfg valid.GlobalCfg, repoID, branch string) (valid.RepoCfg, error) {
	if path == "-" {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return valid.RepoCfg{}, err
		}
		return parser.ParseRepoCfgData(data, globalCfg, repoID, branch)
	}
	info, err := os.Stat(path)
	if err != nil {
		return valid.RepoCfg{}, err
	}
	dir, name := path, globalCfg.RepoConfigFile(repoID)
	if !info.IsDir() {
		dir = filepath.Dir(path)
		if filepath.Base(path) != name {
			data, err := os.ReadFile(path)
			if err != nil {
				return valid.RepoCfg{}, err
			}
			return parser.ParseRepoCfgData(data, globalCfg, repoID, branch)
		}
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return valid.RepoCfg{}, err
	}
	found, err := parser.HasRepoCfg(absDir, name)
	if err != nil {
		return valid.RepoCfg{}, err
	}
	if !found {
		return valid.RepoCfg{}, errors.New("no " + name + " in " + absDir)
	}
	return parser.ParseRepoCfg(absDir, globalCfg, repoID, branch)
}
