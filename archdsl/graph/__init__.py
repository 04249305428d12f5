"""Diagrams of a model: a layout-free graph of it, written as DOT or Mermaid."""
