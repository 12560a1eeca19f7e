//! Every place that must refuse while the decision log cannot write, with the log
//! failing, and what the operator sees meanwhile.
