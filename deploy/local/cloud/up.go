package cloud

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moviepipe/moviepipe/deploy/local/apigwadmin"
	"github.com/moviepipe/moviepipe/deploy/local/cfn"
)

// Stacks are the stacks in the order make deploy creates them: the shared
// one first, whose exports the services import.
var Stacks = []string{"deploy/resources", "processor", "query-api", "scraper"}

// PackageDir is where make package-local writes a stack's CloudFormation
// for stage local (osls package --package), which the local cloud runs.
func PackageDir(root, stackDir string) string {
	return filepath.Join(root, ".moviepipe", "package", filepath.FromSlash(stackDir))
}

// deployPackaged deploys every stack as make package-local packaged it.
func (c *Cloud) deployPackaged(ctx context.Context) error {
	for _, dir := range Stacks {
		if err := c.deployPackagedStack(ctx, dir); err != nil {
			return err
		}
	}
	return nil
}

// deployPackagedStack deploys one packaged stack through the local
// CloudFormation, the steps osls deploy takes: a new stack is created from
// the bucket-only create template (with the stack parameters osls sends),
// the functions' zips are uploaded to that deployment bucket, the stack is
// updated to its whole template, and the stage updates osls's plugins make
// after a deploy are applied.
func (c *Cloud) deployPackagedStack(ctx context.Context, dir string) error {
	pkg := PackageDir(c.opts.Root, dir)
	if c.opts.Templates != "" {
		pkg = filepath.Join(c.opts.Templates, filepath.FromSlash(dir))
	}
	update := filepath.Join(pkg, "cloudformation-template-update-stack.json")
	if err := fresh(update, filepath.Join(c.opts.Root, dir, "serverless.yml")); err != nil {
		return err
	}
	body, err := os.ReadFile(update)
	if err != nil {
		return err
	}
	create, err := os.ReadFile(filepath.Join(pkg, "cloudformation-template-create-stack.json"))
	if err != nil {
		return err
	}
	pk, err := readPackaged(filepath.Join(pkg, "serverless-state.json"))
	if err != nil {
		return err
	}
	name := pk.service + "-" + c.opts.Stage
	if !c.cfn.Exists(name) {
		if err := c.cfn.Apply(ctx, name, create, pk.params); err != nil {
			return fmt.Errorf("stack %s (%s): %w", name, filepath.Base(update), err)
		}
	}
	if err := c.uploadCode(name, body); err != nil {
		return fmt.Errorf("stack %s: %w", name, err)
	}
	if err := c.cfn.Apply(ctx, name, body, pk.params); err != nil {
		return fmt.Errorf("stack %s (%s): %w", name, update, err)
	}
	return c.afterDeploy(name, pk.stageAfter)
}

// uploadCode puts each function's zip (dist/<service>.zip, which make
// package-local builds) where the template's Code.S3Key says, in the
// stack's deployment bucket, as osls deploy uploads it.
func (c *Cloud) uploadCode(stackName string, body []byte) error {
	tpl, err := cfn.Parse(body)
	if err != nil {
		return err
	}
	bucket := c.deploymentBucket(stackName)
	for id, r := range tpl.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		code, _ := r.Properties["Code"].(map[string]any)
		key, _ := code["S3Key"].(string)
		if key == "" || bucket == "" {
			return fmt.Errorf("%s: no Code.S3Key in a deployment bucket to upload to", id)
		}
		zip, err := os.ReadFile(filepath.Join(c.opts.Root, "dist", path.Base(key)))
		if err != nil {
			return fmt.Errorf("%s: %w (make package-local builds it)", id, err)
		}
		if err := c.s3.PutObject(bucket, key, "application/zip", zip); err != nil {
			return err
		}
	}
	return nil
}

// deploymentBucket is the bucket a deployed stack made, if any.
func (c *Cloud) deploymentBucket(stackName string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if run := c.stacks[stackName]; run != nil {
		return run.decl.bucket
	}
	return ""
}

// afterDeploy applies the stage updates osls's plugins make once a stack
// is deployed (the stage-throttling plugin's UpdateStage).
func (c *Cloud) afterDeploy(stackName string, ops []apigwadmin.PatchOperation) error {
	if len(ops) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	run := c.stacks[stackName]
	if run != nil && len(run.decl.apis) == 0 && !slices.ContainsFunc(ops, func(op apigwadmin.PatchOperation) bool {
		return strings.Contains(op.Path, "/throttling/")
	}) {
		return nil // osls's update-stage.js skips a stack with no REST API; the plugin's throttling does not
	}
	if run == nil || len(run.decl.apis) != 1 {
		return fmt.Errorf("stack %s: its stage updates need one REST API", stackName)
	}
	st := c.stages[run.decl.apis[0].id+"/"+c.opts.Stage]
	if err := st.patch(ops, c.now()); err != nil {
		return fmt.Errorf("stack %s: stage update after deploy: %w", stackName, err)
	}
	return nil
}

// fetchTemplate reads a TemplateURL that names an object of the local S3
// (https://s3.amazonaws.com/<bucket>/<key>, as osls forms it).
func (c *Cloud) fetchTemplate(templateURL string) ([]byte, error) {
	u, err := url.Parse(templateURL)
	if err != nil {
		return nil, err
	}
	bucket, key, ok := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if u.Host != "s3.amazonaws.com" && !strings.HasPrefix(u.Host, "s3.") {
		bucket, key, ok = strings.TrimSuffix(u.Host, ".s3.amazonaws.com"), strings.TrimPrefix(u.Path, "/"), true
	}
	if key, err = url.PathUnescape(key); err != nil || !ok {
		return nil, fmt.Errorf("TemplateURL %s: not an S3 object URL", templateURL)
	}
	data, found := c.s3.GetObject(bucket, key)
	if !found {
		return nil, fmt.Errorf("TemplateURL %s: no such object in the local S3", templateURL)
	}
	return data, nil
}

// fresh refuses a template older than the serverless.yml it comes from.
func fresh(template, source string) error {
	t, err := os.Stat(template)
	if err != nil {
		return fmt.Errorf("%s: %w (run make package-local, which make up and make demo run for you)", template, err)
	}
	if s, err := os.Stat(source); err == nil && s.ModTime().After(t.ModTime()) {
		return fmt.Errorf("%s is older than %s: run make package-local", template, source)
	}
	return nil
}
