"""The local cloud that rehearsals run against, apart from the code that runs them.

- ``moto_server``: moto's AWS API on loopback, living across commands (``local-cloud up|down|status``),
  where ``--provider moto`` applies and a rehearsal's S3 state lives; the ``moto_*`` modules bridge
  moto's gaps inside that server process.
- ``edits``: out-of-band changes to the built-in provider's store (``local-cloud list|edit|delete``),
  the console clicks that drift rehearsals need.

Below ``run`` in the layers: it knows projects, environments and the built-in provider's store, and
nothing of runs.
"""
