#!/usr/bin/env bash
# Greet the name given as the first argument.
echo "Hello, ${1:-world}"
