//! Fuzz targets for lode: the verification issue adds cargo-fuzz targets here.
