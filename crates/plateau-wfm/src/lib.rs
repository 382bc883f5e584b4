//! Staffing mathematics (Erlang B/C/A, forecasts, discrete-event simulation). No I/O.
