module github.com/moviepipe/moviepipe/query-api

go 1.26
