module ccload

go 1.26.8
