module github.com/moviepipe/moviepipe/processor

go 1.26
