module github.com/moviepipe/moviepipe/scraper

go 1.26
