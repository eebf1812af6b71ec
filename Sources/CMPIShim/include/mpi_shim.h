// Open MPI's handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are macros that take the address of
// library globals, `((MPI_Comm)&ompi_mpi_comm_world)`: Swift imports neither the macros nor a cast
// of an address, so these functions hand them over. Everything else is called from Swift directly.
#ifndef GFN_MPI_SHIM_H
#define GFN_MPI_SHIM_H

#include <mpi.h>

MPI_Comm gfn_mpi_comm_world(void);
MPI_Datatype gfn_mpi_float(void);
MPI_Datatype gfn_mpi_double(void);
MPI_Datatype gfn_mpi_byte(void);
MPI_Datatype gfn_mpi_int64(void);
MPI_Op gfn_mpi_sum(void);
MPI_Op gfn_mpi_max(void);
/// MPI_SUCCESS (an enum constant, but named here so Swift code need not know its type).
int gfn_mpi_success(void);
/// MPI_Init with null arguments (Open MPI reads its settings from the environment mpirun sets).
int gfn_mpi_init(void);
/// The error text of an MPI return code.
void gfn_mpi_error_string(int code, char *buffer, int capacity);

#endif
