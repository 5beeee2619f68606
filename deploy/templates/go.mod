module github.com/moviepipe/moviepipe/deploy/templates

go 1.26
