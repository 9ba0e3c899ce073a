#!/usr/bin/env bash
# Greet the name given as the first argument (and say where from).
echo "Hello, ${1:-world}, from dkt"
