// A compute node definition (`nodes/ID.json`), as far as the source commands need it: which sources it uses.
export interface NodeDef {
  format: number
  id: string
  command: string[]
  inputs: string[]
  outputs: string[]
  labels: string[]
}

export const nodeFile = (id: string) => `nodes/${id}.json`
