"""Channel specs: YAML files in, checked ``ChannelSpec`` records and diagnostics out.

- ``loader`` (I/O: files, ruamel.yaml): ``load_specs(paths) -> LoadResult``, every document with
  the position of every node; bad content becomes diagnostics, never exceptions.
- ``fastyaml`` (libyaml through PyYAML): the loader's fast path for the common case; anything
  unusual goes to ruamel's parser, which every diagnostic comes from.
- ``schema`` (pure): the packaged JSON Schema and ``check_spec(spec) -> list[Diagnostic]``.
- ``quickcheck`` (pure): a schema compiled once into a "certainly valid" predicate, so
  jsonschema runs only for specs that need explaining.
- ``rules`` (pure): checks across files, ``check_rules(specs)``: unique names, reserved key.
- ``validate``: ``validate_paths(paths) -> ValidationResult`` for ``reconciler validate``, and
  ``load_valid_specs(paths) -> list[ChannelSpec]`` (or ``SpecError``) for plan and apply.

This module imports nothing, so importing the pure modules never pulls in ruamel.
"""
