console.log('schema generation arrives with the scenario schema')
