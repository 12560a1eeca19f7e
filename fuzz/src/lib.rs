//! Shared by the fuzz targets: their bodies ([`targets`]), which the regression test of
//! the workspace includes too.

pub mod targets;
