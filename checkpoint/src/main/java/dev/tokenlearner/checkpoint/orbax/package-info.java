/**
 * Readers for Orbax checkpoint directories: one Zarr v2 array per parameter ({@link
 * dev.tokenlearner.checkpoint.orbax.OrbaxZarrReader}) and TensorStore's OCDBT key-value databases
 * ({@link dev.tokenlearner.checkpoint.orbax.OrbaxOcdbtReader}).
 */
package dev.tokenlearner.checkpoint.orbax;
