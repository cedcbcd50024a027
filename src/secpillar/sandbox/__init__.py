"""The built-in sandbox: moto's server on 127.0.0.1, seeded with an example organization."""
