// A program of a team that uses the generated Go SDK (sdk/go, from `make sdk`), as its
// documentation says: required by its module path and pointed at the folder.
module meerkat.example/sdk-consumer

go 1.19

require meerkat.example/sdk/meerkat v0.0.0

replace meerkat.example/sdk/meerkat => ../../sdk/go
